"""The replica's extracts about people: domestic abuse victims and survey respondents.

Repeat rates are built, not drawn, so that the baseline year's rate is exactly
the model bulletin's ("The 2007/08 baseline for Repeat Domestic Crimes was
20.7%"): month by month, a repeat crime goes to a victim whose latest crime was
one to eleven months before (so within the 12-month lookback of methods 8a) and
every other crime to a new victim, who by construction has none.  MARAC
referrals are made the same way among their own victims (8b).  A survey wave's
"yes" answers are exactly its planned count, with weight 1, so the effective
sample is the sample and a pooled baseline is an exact share.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cdrp_lib.demo.allocate import monthly, share_out
from cdrp_lib.demo.replica_figures import (
    DA_CRIMES,
    DA_FIRST_MONTH,
    DA_INCIDENTS_PER_YEAR,
    MARAC,
    SURVEY_RESPONDENTS,
    SURVEY_WAVES,
    SURVEY_YES,
    Span,
)
from cdrp_lib.periods import Month

DOMESTIC_ABUSE_FILE = "local/domestic_abuse.csv"
SURVEY_FILE = "local/survey_responses.csv"
LOOKBACK_MONTHS = 11  # the latest earlier event of a repeat lies 1 to 11 months before it
DAYS_IN_ANY_MONTH = 28
YES = {"deal_with_issues": ("Tend to agree", "Tend to disagree")}


def _events(spans: Sequence[tuple[Span, int]], prefix: str, rng: np.random.Generator
            ) -> list[tuple[Month, str]]:
    """(month, victim) per event: each span's total and repeats exactly, repeats by pool."""
    first = Month.parse(DA_FIRST_MONTH)
    latest: dict[str, Month] = {}
    out: list[tuple[Month, str]] = []
    fresh = 0
    for span, repeats in spans:
        months = span.months
        counts = monthly(span.total, months, 0.1, 7, rng)
        weights = [0.0 if m == first else float(c) for m, c in zip(months, counts, strict=True)]
        wanted = share_out(repeats, weights)
        for m, n, r in zip(months, counts, wanted, strict=True):
            pool = sorted(v for v, at in latest.items() if 1 <= m.minus(at) <= LOOKBACK_MONTHS)
            if r > min(n, len(pool)):
                raise ValueError(f"{m}: {r} repeats wanted, only {n} events and "
                                 f"{len(pool)} recent victims")
            chosen = [pool[int(i)] for i in rng.choice(len(pool), size=r, replace=False)]
            new = [f"{prefix}{fresh + i:06d}" for i in range(n - r)]
            fresh += n - r
            for victim in chosen + new:
                latest[victim] = m
                out.append((m, victim))
    return out


def write_domestic_abuse(out_dir: Path, codes: Sequence[str], rng: np.random.Generator
                         ) -> tuple[str, int]:
    """``local/domestic_abuse.csv``: crimes with repeats, incidents, MARAC referrals."""
    crimes = _events(DA_CRIMES, "VC", rng)
    referrals = _events(MARAC, "VM", rng)
    last = DA_CRIMES[-1][0].last
    incident_months = Span(DA_FIRST_MONTH, last, 0).months
    per_month = monthly(round(DA_INCIDENTS_PER_YEAR * len(incident_months) / 12),
                        incident_months, 0.1, 12, rng)
    incidents = [(m, f"VI{i:03d}{k:03d}") for i, (m, n) in enumerate(
        zip(incident_months, per_month, strict=True)) for k in range(n)]
    rows = ([(m, v, "crime", "N") for m, v in crimes]
            + [(m, v, "incident", "Y") for m, v in referrals]
            + [(m, v, "incident", "N") for m, v in incidents])
    days = rng.integers(1, DAYS_IN_ANY_MONTH + 1, size=len(rows))
    lsoas = rng.integers(0, len(codes), size=len(rows))
    dated = sorted((f"{m}-{int(d):02d}", v, kind, marac, codes[int(j)])
                   for (m, v, kind, marac), d, j in zip(rows, days, lsoas, strict=True))
    lines = ["event_id,date,kind,victim_id,lsoa_code,partnership,marac_referral"] + [
        f"DA{seq:07d},{day},{kind},{victim},{code},,{marac}"
        for seq, (day, victim, kind, marac, code) in enumerate(dated, start=1)]
    path = out_dir / DOMESTIC_ABUSE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return DOMESTIC_ABUSE_FILE, len(dated)


def _answer(question: str, yes: bool) -> str:
    words = YES.get(question, ("1", "0"))
    return words[0] if yes else words[1]


def write_survey(out_dir: Path, partnership: str, rng: np.random.Generator) -> tuple[str, int]:
    """``local/survey_responses.csv``: one row per respondent and question, weight 1."""
    lines = ["respondent_id,date,wave,partnership,question,response,weight"]
    for w, wave in enumerate(SURVEY_WAVES):
        year, quarter = int(wave[:4]), int(wave[-1])
        first_day = np.datetime64(f"{Month(year, quarter * 3 - 2)}-01", "D")
        dates = first_day + rng.integers(0, 89, size=SURVEY_RESPONDENTS).astype(
            "timedelta64[D]")
        answers = {q: set(rng.choice(SURVEY_RESPONDENTS, size=yes[w], replace=False).tolist())
                   for q, yes in SURVEY_YES.items()}
        for r in range(SURVEY_RESPONDENTS):
            for question in SURVEY_YES:
                lines.append(f"{partnership}-{wave}-{r + 1:04d},{dates[r]},{wave},{partnership},"
                             f"{question},{_answer(question, r in answers[question])},1")
    path = out_dir / SURVEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return SURVEY_FILE, len(lines) - 1
