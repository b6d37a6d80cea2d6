"""Partner agencies' extracts of a synthetic area: domestic abuse and the survey.

* ``local/domestic_abuse.csv``: DA crimes and incidents with pseudonymised
  victims who come back (repeat victims) and MARAC referrals, located by LSOA the
  way violence is (a few rows give only the partnership);
* ``local/survey_responses.csv``: quarterly waves, one row per answer, for the
  three perception questions of params/measures.yaml, one survey per partnership.

No public extract of either exists, so the formats are the project's own
(docs/data.md).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import numpy.typing as npt

from cdrp_lib.demo.common import (
    CRIME_TYPES,
    DA_CONTINUE,
    DA_CONTINUE_SPREAD,
    DA_CRIME_SHARE,
    DA_HIGH_RISK_SHARE,
    DA_MARAC_SHARE_HIGH_RISK,
    DA_MEAN_GAP_DAYS,
    DA_NEW_VICTIMS_PER_1000,
    DA_PARTNERSHIP_ONLY_SHARE,
    DA_TREND_SD,
    ID_MODULUS,
    SURVEY_BASE,
    SURVEY_DISTRICT_SD,
    SURVEY_QUESTIONS,
    SURVEY_RESPONDENTS,
    SURVEY_TREND_SD,
    WEIGHT_SD,
    District,
)
from cdrp_lib.periods import Month

DOMESTIC_ABUSE_FILE = "local/domestic_abuse.csv"
SURVEY_FILE = "local/survey_responses.csv"


def _pseudonyms(count: int, rng: np.random.Generator, prefix: str) -> list[str]:
    """Distinct opaque ids: an affine bijection on 48 bits, so no two collide."""
    multiplier = int(rng.integers(1 << 40, 1 << 47)) | 1
    offset = int(rng.integers(0, ID_MODULUS))
    return [f"{prefix}{(i * multiplier + offset) % ID_MODULUS:012x}" for i in range(count)]


def write_domestic_abuse(out_dir: Path, districts: list[District], area_ids: list[str],
                         months: list[Month], populations: npt.NDArray[np.float64],
                         weights: npt.NDArray[np.float64], owner: npt.NDArray[np.int64],
                         rng: np.random.Generator) -> int:
    """Victims arrive monthly (from 12 months before the first month, so the first
    months already hold returning victims) and come back a geometric number of times.

    ``owner`` and ``weights`` are every LSOA's district (an index in ``districts``)
    and crime-type shares from the police files; ``area_ids`` is the partnership a
    row that gives no LSOA names, per district.  Returns the number of events.
    """
    burn_in = 12
    first_day = np.datetime64(f"{months[0]}-01", "D")
    end_day = np.datetime64(f"{months[-1] + 1}-01", "D")
    n_months, n_d = len(months) + burn_in, len(districts)
    pop = np.vstack([np.repeat(populations[:1], burn_in, axis=0), populations])
    years = (np.arange(n_months) - burn_in) / 12
    trend = rng.normal(0.02, DA_TREND_SD, size=n_d)
    new = rng.poisson(pop / 1000 * DA_NEW_VICTIMS_PER_1000 * np.exp(np.outer(years, trend)))
    cont_shift = rng.normal(0, DA_CONTINUE_SPREAD, size=n_d)
    cont_trend = rng.normal(0, 0.02, size=n_d)

    cell = np.repeat(np.arange(new.size), new.ravel())
    v_month, v_district = np.unravel_index(cell, new.shape)
    n_v = cell.size
    month_start = (first_day.astype("datetime64[M]") + (v_month - burn_in)).astype(
        "datetime64[D]")
    start = month_start + rng.integers(0, 28, size=n_v).astype("timedelta64[D]")
    high_risk = rng.random(n_v) < DA_HIGH_RISK_SHARE
    q = (np.where(high_risk, DA_CONTINUE[1], DA_CONTINUE[0]) + cont_shift[v_district]
         + cont_trend[v_district] * (v_month - burn_in) / 12)
    further = rng.geometric(1 - np.clip(q, 0.05, 0.9)) - 1
    victim = np.repeat(np.arange(n_v), further + 1)
    gaps = rng.exponential(DA_MEAN_GAP_DAYS, size=victim.size).astype(np.int64) + 1
    first_of_victim = np.concatenate([[True], victim[1:] != victim[:-1]])
    gaps[first_of_victim] = 0
    cum = np.cumsum(gaps)
    offset = cum - np.maximum.accumulate(np.where(first_of_victim, cum, 0))
    day = start[victim] + offset.astype("timedelta64[D]")
    keep = (day >= first_day) & (day < end_day)
    victim, day = victim[keep], day[keep]
    n = victim.size
    is_crime = rng.random(n) < DA_CRIME_SHARE
    marac = high_risk[victim] & (rng.random(n) < DA_MARAC_SHARE_HIGH_RISK)
    district = v_district[victim]
    # An LSOA of the event's district, weighted like violence; a few rows give only the partnership.
    violence = next(k for k, t in enumerate(CRIME_TYPES) if t.name.startswith("Violence"))
    lsoa_cum = np.cumsum(weights[:, violence])
    starts = np.searchsorted(owner, np.arange(n_d))
    base = np.concatenate([[0.0], lsoa_cum])[starts]
    total = lsoa_cum[np.searchsorted(owner, np.arange(n_d), side="right") - 1] - base
    target = base[district] + rng.random(n) * total[district]
    lsoa = np.minimum(np.searchsorted(lsoa_cum, target, side="right"), len(owner) - 1)
    partnership_only = rng.random(n) < DA_PARTNERSHIP_ONLY_SHARE
    victim_ids = _pseudonyms(n_v, rng, "V")

    codes = [districts[int(owner[i])].lsoa_code(int(i - starts[owner[i]]) + 1)
             for i in range(len(owner))]
    ids = area_ids
    order = np.lexsort((victim, day))
    lines = ["event_id,date,kind,victim_id,lsoa_code,partnership,marac_referral"]
    for seq, k in enumerate(order.tolist(), start=1):
        area = f",{ids[district[k]]}" if partnership_only[k] else f"{codes[lsoa[k]]},"
        lines.append(f"DA{seq:07d},{day[k]},{'crime' if is_crime[k] else 'incident'},"
                     f"{victim_ids[victim[k]]},{area},{'Y' if marac[k] else 'N'}")
    path = out_dir / DOMESTIC_ABUSE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return int(n)


def _answer_words(question: str, yes: bool, pick: int) -> str:
    if question == "deal_with_issues":
        words = (("Strongly agree", "Tend to agree") if yes else
                 ("Neither agree nor disagree", "Tend to disagree", "Strongly disagree"))
        return words[pick % len(words)]
    if question == "feel_safe_night":
        return "Yes" if yes else "No"
    return "1" if yes else "0"


def write_survey(out_dir: Path, partnerships: list[str], months: list[Month],
                 rng: np.random.Generator) -> int:
    """Quarterly waves wholly inside the series; one row per respondent and question.

    One survey per partnership id in ``partnerships``; returns the number of answers.
    """
    quarters = [m for m in months if m.month % 3 == 0 and months[0].minus(m - 2) <= 0]
    lines = ["respondent_id,date,wave,partnership,question,response,weight"]
    base = {q: math.log(p / (1 - p)) for q, p in SURVEY_BASE.items()}
    effect = rng.normal(0, SURVEY_DISTRICT_SD, size=(len(partnerships), len(SURVEY_QUESTIONS)))
    slope = rng.normal(0, SURVEY_TREND_SD, size=(len(partnerships), len(SURVEY_QUESTIONS)))
    for d_i, pid in enumerate(partnerships):
        for last in quarters:
            quarter = (last.month - 1) // 3 + 1
            wave = f"{last.year}Q{quarter}"
            years = (last.index - months[0].index) / 12
            n = int(rng.poisson(SURVEY_RESPONDENTS))
            w = np.exp(rng.normal(0, WEIGHT_SD, size=n))
            w = w / w.mean()
            days = rng.integers(0, 89, size=n)
            first_day = np.datetime64(f"{last - 2}-01", "D")
            dates = np.minimum(first_day + days.astype("timedelta64[D]"),
                               np.datetime64(f"{last + 1}-01", "D") - np.timedelta64(1, "D"))
            for q_i, question in enumerate(SURVEY_QUESTIONS):
                logit = base[question] + effect[d_i, q_i] + slope[d_i, q_i] * years
                answers = rng.random(n) < 1 / (1 + math.exp(-logit))
                picks = rng.integers(0, 6, size=n)
                for r in range(n):
                    lines.append(f"{pid}-{wave}-{r + 1:04d},{dates[r]},{wave},"
                                 f"{pid},{question},"
                                 f"{_answer_words(question, bool(answers[r]), int(picks[r]))},"
                                 f"{w[r]:.4f}")
    path = out_dir / SURVEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines) - 1
