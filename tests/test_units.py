"""Every unit and frequency a measure can have (issue 11), against the model bulletin.

The model bulletin (../shared/seeds/kettering-performance-improvement-bulletin-2009-12.txt)
gives: primary fires 249.4 per 100,000 population, fatalities 0.59 per 100,000, the KSI
"twelve month mean for 2007 to 2009 of 430" from a 2004-2006 baseline of 486, and the
cohort of 371 young offenders with a ceiling of 603 offences over 2009/10, reported
quarterly with a four month lag.  Series are synthetic and built so those figures fall
where the bulletin puts them; the store test writes ``series`` and ``population`` rows
directly, as the partner-agency ingest writes them (issue 11's contract).
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from cdrp_lib.assess import assess
from cdrp_lib.assessment import AssessmentPart
from cdrp_lib.params import CeilingTarget, Measure
from cdrp_lib.params import Target as TargetSpec
from cdrp_lib.periods import Month, month_range
from cdrp_lib.public import public_view
from cdrp_lib.stats.enums import NotAssessedReason, Rag, TrajectoryStatus
from cdrp_lib.stats.peers import population_year
from cdrp_lib.stats.units import (
    SMALL_NUMBER_COUNT,
    fmt_level,
    period_label,
    period_short,
    pro_rata_allowance,
    rate,
    twelve_month_mean,
)
from cdrp_lib.tables import performance_table

_TARGETS: TypeAdapter[Any] = TypeAdapter(TargetSpec)
BULLETIN = "2009-12"


def measure(id: str, name: str, **extra: Any) -> Measure:
    # the partner-agency source names (fire, road-safety...) are the registry's; the
    # statistics depend on the unit and frequency only
    return Measure(id=id, name=name, theme="violence", source="police",
                   polarity="lower_is_better", **extra)  # type: ignore[arg-type]


def target(measure_id: str, **extra: Any) -> Any:
    raw = {"id": "t", "measure": measure_id, "outcome": "E2a", "outcome_title": "Outcome",
           "title": "A target", "theme": "violence", "lead": "Fire",
           "polarity": "lower_is_better", **extra}
    return _TARGETS.validate_python(raw)


def monthly(first: str, last: str, value: Any) -> dict[str, float]:
    return {str(m): float(value(i) if callable(value) else value)
            for i, m in enumerate(month_range(first, last))}


# --------------------------------------------------------------------------- stats.units


@given(count=st.integers(0, 10**6), pop=st.integers(1, 10**8))
def test_a_rate_is_count_times_100000_over_population(count: int, pop: int) -> None:
    assert rate(count, pop, "per_100000") == Fraction(count * 100_000, pop)
    assert rate(count, pop, "per_1000") == Fraction(count * 1_000, pop)


def test_a_rate_needs_a_population() -> None:
    with pytest.raises(ValueError, match="population must be positive"):
        rate(3, 0, "per_100000")


@given(limit=st.integers(1, 5000), months=st.integers(1, 36))
def test_a_pro_rata_allowance_rises_evenly_from_nothing_to_the_limit(
        limit: int, months: int) -> None:
    allowances = [pro_rata_allowance(limit, m, months) for m in range(-1, months + 2)]
    assert allowances[0] == allowances[1] == 0
    assert all(a <= b for a, b in itertools.pairwise(allowances))
    assert allowances[months + 1] == allowances[months + 2] == limit
    assert pro_rata_allowance(limit, months // 2, months) <= Fraction(limit, 2)


def test_the_bulletins_cohort_allowance_at_each_quarter() -> None:
    assert [pro_rata_allowance(603, m, 12) for m in (3, 6, 9, 12)] == [
        Fraction(603, 4), Fraction(603, 2), Fraction(1809, 4), 603]


@given(years=st.integers(1, 5), level=st.integers(0, 200))
def test_a_twelve_month_mean_of_a_steady_series_is_its_12_month_total(
        years: int, level: int) -> None:
    assert twelve_month_mean([level] * (12 * years), 12 * years) == 12 * level


@given(totals=st.lists(st.integers(0, 1000), min_size=1, max_size=5))
def test_a_twelve_month_mean_is_the_mean_of_the_years_totals(totals: list[int]) -> None:
    months = [x for total in totals for x in [Fraction(total, 12)] * 12]
    assert twelve_month_mean(months, 12 * len(totals)) == Fraction(sum(totals), len(totals))


def test_a_twelve_month_mean_is_over_whole_years() -> None:
    with pytest.raises(ValueError, match="whole years"):
        twelve_month_mean([1] * 18, 18)


def test_levels_are_written_in_their_unit() -> None:
    assert fmt_level("per_100000", 249.44, "primary fires") == \
        "249.4 primary fires per 100,000 population"
    assert fmt_level("per_1000", 12.25) == "12.3 per 1,000 population"
    assert fmt_level("mean_12_months", 430.4, "incidents") == "430 incidents"
    assert fmt_level("cohort_offences", 1, "offences") == "1 offence"
    assert fmt_level("percent", 32) == "32.0%"


def test_periods_are_named_by_their_frequency() -> None:
    assert period_label("2009-09", "quarterly") == "July to September 2009"
    assert period_label("2010-02", "quarterly") == "December 2009 to February 2010"
    assert period_label("2010-03", "annual") == "2009/10"
    assert period_short("2009-09", "quarterly") == "2009 Q3"
    assert period_short("2009-06", "quarterly") == "2009 Q2"  # 2009/10 Q1 ends June
    assert period_short("2010-03", "annual") == "2009/10"
    assert period_short("2009-09", "monthly") == "Sep 2009"


# --------------------------------------------------------------------------- rates


FIRES = measure("primary-fires", "NI49 (1) primary fires per 100,000 population",
                unit="per_100000", noun="primary fires")
# the population grows a little each year, so using the wrong year shows
POPULATIONS = {year: 86_000.0 + 500 * (year - 2004) for year in range(2004, 2011)}


def fires_target() -> Any:
    return target("primary-fires", kind="rate", unit="per_100000", value=249.4,
                  baseline="2008/09", strategy="2009/10")


def test_a_rate_divides_by_the_population_of_the_windows_year() -> None:
    series = monthly("2006-04", "2009-12", lambda i: 18 + i % 3)
    a = assess(series, fires_target(), BULLETIN, measure=FIRES, population_by_year=POPULATIONS)
    total = sum(v for m, v in series.items() if Month.parse(m) > Month(2008, 12))
    year = population_year(Month(2009, 12))
    assert a.unit == "per_100000" and a.rate_population == POPULATIONS[year]
    assert a.rolling_12 == pytest.approx(total * 100_000 / POPULATIONS[year])
    base_total = sum(v for m, v in series.items() if Month(2008, 3) < Month.parse(m)
                     <= Month(2009, 3))
    assert a.baseline_value == pytest.approx(base_total * 100_000 / POPULATIONS[2008])
    assert a.target_value == pytest.approx(249.4)  # the rate as given, not a count
    assert a.trajectory_target is not None and a.trajectory_status is not None
    assert a.narrative[0].startswith(
        "The target for NI49 (1) primary fires per 100,000 population for 2009/10 is "
        "249.4 primary fires per 100,000 population.")


def test_a_rate_without_a_population_says_so() -> None:
    series = monthly("2006-04", "2009-12", 20)
    a = assess(series, fires_target(), BULLETIN, measure=FIRES)
    assert a.rolling_12 is None
    assert a.reason(AssessmentPart.ROLLING) is NotAssessedReason.NO_POPULATION
    assert a.rag is None


def test_the_performance_table_shows_a_rate_in_its_unit() -> None:
    series = monthly("2006-04", "2009-12", lambda i: 18 + i % 3)
    a = assess(series, fires_target(), BULLETIN, measure=FIRES, population_by_year=POPULATIONS)
    html = performance_table(public_view(a)).html
    assert "per 100,000 population" in html


# --------------------------------------------------------------------------- small numbers


FATALITIES = measure("fire-fatalities", "NI49 (2) fatalities in primary fires per 100,000 "
                     "population", unit="per_100000", noun="fatalities")


def test_fire_fatalities_are_too_few_for_a_chart_trend_or_trajectory() -> None:
    # 0.59 per 100,000 of Kettering's ~88,000 is about half a death a year
    series = monthly("2006-04", "2009-12", lambda i: 1 if i % 24 == 5 else 0)
    spec = target("fire-fatalities", kind="rate", unit="per_100000", value=0.6,
                  baseline="2008/09", strategy="2009/10")
    a = assess(series, spec, BULLETIN, measure=FATALITIES, population_by_year=POPULATIONS)
    assert a.expected_12_months is not None and a.expected_12_months < SMALL_NUMBER_COUNT
    for part in (AssessmentPart.TRAJECTORY, AssessmentPart.TREND, AssessmentPart.SPC):
        assert a.reason(part) is NotAssessedReason.SMALL_NUMBERS
    assert a.spc_points == () and a.trend_projection is None and a.trajectory_status is None
    assert all(p.trajectory_target is None for p in a.history)
    assert a.rolling_12 is not None  # the figure itself is still given
    assert NotAssessedReason.SMALL_NUMBERS.sentence in a.narrative
    assert any(s.endswith("in 12 months, fewer than 10.") for s in a.narrative)
    if not a.target_achieved:
        assert a.rag is None and a.not_assessed_reason is NotAssessedReason.SMALL_NUMBERS


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(st.integers(0, 2), min_size=1, max_size=50))
def test_small_counts_never_raise_and_every_missing_figure_has_a_reason(
        values: list[int]) -> None:
    series = {str(Month(2009, 12) - (len(values) - 1 - i)): float(v)
              for i, v in enumerate(values)}
    spec = target("fire-fatalities", kind="rate", unit="per_100000", value=0.6,
                  baseline="2008/09", strategy="2009/10")
    a = assess(series, spec, BULLETIN, measure=FATALITIES, population_by_year=POPULATIONS)
    assert (a.rag is None) == (a.not_assessed_reason is not None)
    if a.trajectory_status is None:
        assert a.reason(AssessmentPart.TRAJECTORY) is not None


def test_a_count_of_ten_a_year_or_more_is_charted() -> None:
    series = monthly("2006-04", "2009-12", 1)  # 12 a year
    a = assess(series, fires_target(), BULLETIN, measure=FIRES, population_by_year=POPULATIONS)
    assert not a.is_small_numbers and a.spc_points


# --------------------------------------------------------------------------- twelve-month mean


KSI = measure("ksi", "people killed or seriously injured in road traffic collisions (NI47)",
              unit="mean_12_months", noun="incidents")


def ksi_series() -> dict[str, float]:
    # 2004-2006 total 1,458 (a mean of 486 a year); 2007-2009 total 1,290 (430 a year)
    return {**monthly("2004-01", "2006-12", lambda i: 41 if i % 2 else 40),
            **monthly("2007-01", "2009-12", lambda i: 36 if i % 6 else 35)}


def test_the_ksi_twelve_month_mean_is_the_bulletins() -> None:
    series = ksi_series()
    assert sum(series[str(m)] for m in month_range("2004-01", "2006-12")) == 1458
    spec = target("ksi", kind="level", value=430, baseline={"start": "2004-01", "end": "2006-12"},
                  strategy={"start": "2007-01", "end": "2009-12"})
    a = assess(series, spec, BULLETIN, measure=KSI)
    assert a.mean_span_months == 36
    assert a.baseline_value == pytest.approx(486)
    total = sum(series[str(m)] for m in month_range("2007-01", "2009-12"))
    assert a.rolling_12 == pytest.approx(total / 3) == pytest.approx(430)
    assert a.target_achieved is True and a.rag is Rag.GREEN
    assert a.narrative[0] == (
        "The baseline for people killed or seriously injured in road traffic collisions "
        "(NI47) is based on a twelve month mean taken from the number of incidents recorded "
        "over 2004 to 2006 and is 486 recorded incidents. The target is a twelve month mean "
        "for 2007 to 2009 of 430 incidents to be achieved by December 2009.")


# --------------------------------------------------------------------------- cohort ceiling


COHORT = measure("young-offenders", "the rate of proven reoffending by young offenders",
                 unit="cohort_offences", frequency="quarterly", lag_months=4)


def ceiling(**extra: Any) -> Any:
    return target("young-offenders", kind="ceiling", limit=603, cohort=371,
                  cohort_noun="young offenders", period="2009/10", **extra)


def test_a_ceiling_is_validated_in_params() -> None:
    spec = ceiling()
    assert isinstance(spec, CeilingTarget) and spec.strategy.months == 12
    with pytest.raises(ValidationError, match="lower_is_better for a ceiling"):
        ceiling(polarity="higher_is_better")
    with pytest.raises(ValidationError, match="limit"):
        target("young-offenders", kind="ceiling", limit=0, period="2009/10")


def test_the_cohort_is_tracked_against_its_pro_rata_allowance() -> None:
    series = {"2009-06": 140.0, "2009-09": 150.0}  # 2009/10 Q1 and Q2
    a = assess(series, ceiling(), BULLETIN, measure=COHORT, max_lag_months=4,
               denominators={"2009-06": 371.0, "2009-09": 371.0})
    assert a.data_to == "2009-09" and a.rolling_12 == 290
    assert a.trajectory_target == pytest.approx(603 / 2)
    assert a.trajectory_status is TrajectoryStatus.ON  # 290 within the band around 301.5
    assert a.trend_projection == pytest.approx(580) and a.trend_sufficient is True
    assert a.target_achieved is None  # not yet: the period is not over
    assert a.cohort_size == 371 and a.rag is Rag.GREEN
    assert a.narrative[:3] == (
        "The target for 2009/10 for the rate of proven reoffending by young offenders is that "
        "the cohort of 371 young offenders should not commit more than 603 offences over "
        "2009/10.",
        "By the end of September 2009 the cohort had committed 290 offences against a "
        "pro-rata allowance of 301.5 for the first 6 months of 2009/10.",
        "Data is only reported quarterly and there is generally a four month lag in "
        "reporting the progress against this target. The latest figures are for July to "
        "September 2009.")
    assert a.reason(AssessmentPart.PAST_MONTH) is NotAssessedReason.QUARTERLY_DATA


def test_a_cohort_over_its_limit_has_failed_before_the_period_ends() -> None:
    series = {"2009-06": 400.0, "2009-09": 250.0}
    a = assess(series, ceiling(), BULLETIN, measure=COHORT, max_lag_months=4)
    assert a.target_achieved is False and a.trend_sufficient is False
    assert a.trajectory_status is TrajectoryStatus.ABOVE and a.rag is Rag.RED


@settings(max_examples=30, deadline=None)
@given(quarters=st.lists(st.integers(0, 300), min_size=1, max_size=4))
def test_offences_to_date_are_the_running_total(quarters: list[int]) -> None:
    ends = ["2009-06", "2009-09", "2009-12", "2010-03"]
    series = {ends[i]: float(v) for i, v in enumerate(quarters)}
    a = assess(series, ceiling(), "2010-06", measure=COHORT)  # no lateness check
    assert a.rolling_12 == sum(quarters)
    done = len(quarters) == len(ends)
    assert a.target_achieved == (sum(quarters) <= 603 if done else
                                 (False if sum(quarters) > 603 else None))


# --------------------------------------------------------------------------- quarterly


QUARTERLY = measure("quarterly-thing", "Quarterly thing", frequency="quarterly")


LAST_QUARTER = Month(2009, 9)


def quarterly_series(last: Month = LAST_QUARTER, n: int = 20) -> dict[str, float]:
    return {str(last - 3 * (n - 1 - i)): 100.0 - i for i in range(n)}


def test_a_quarterly_measure_is_assessed_on_quarters() -> None:
    spec = target("quarterly-thing", kind="reduction", percent=5, baseline="2007/08",
                  strategy={"start": "2008-04", "end": "2011-03"})
    a = assess(quarterly_series(), spec, BULLETIN, measure=QUARTERLY, max_lag_months=3)
    series = quarterly_series()
    assert a.data_to == "2009-09"  # the last quarter published
    assert a.rolling_12 == sum(series[str(Month(2009, 9) - 3 * k)] for k in range(4))
    assert a.baseline_value == sum(series[str(Month(2008, 3) - 3 * k)] for k in range(4))
    assert a.trajectory_status is not None and a.trend_projection is not None
    assert all(Month.parse(m).month % 3 == 0 for m, _ in a.trend_line)
    assert [p.month for p in a.history] == sorted(series)
    assert a.reason(AssessmentPart.PAST_MONTH) is NotAssessedReason.QUARTERLY_DATA
    assert a.past_month is None
    html = performance_table(public_view(a)).html
    assert "quarterly data" in html


def test_a_quarter_is_late_only_after_its_lag_from_the_quarters_end() -> None:
    spec = target("quarterly-thing", kind="reduction", percent=5, baseline="2007/08",
                  strategy={"start": "2008-04", "end": "2011-03"})
    # data to September: on time for a November bulletin at a two-month lag, and for
    # December (the December quarter is not due until February); late by January
    for month, late in (("2009-11", False), ("2009-12", False), ("2010-01", False),
                        ("2010-02", True)):
        a = assess(quarterly_series(), spec, month, measure=QUARTERLY, max_lag_months=2)
        assert (a.not_assessed_reason is NotAssessedReason.SOURCE_LATE) is late, month


def test_figures_json_carries_the_unit_and_frequency() -> None:
    a = assess(quarterly_series(), None, BULLETIN, measure=QUARTERLY, max_lag_months=3)
    data = public_view(a).to_json()
    assert data["unit"] == "count" and data["frequency"] == "quarterly"
    assert data["lag_months"] == 3


# --------------------------------------------------------------------------- from a store


def test_assess_partnership_reads_rates_with_the_population_of_each_year(
        tmp_path: Path) -> None:
    from cdrp_lib.assess import assess_partnership
    from cdrp_lib.store import Store, connect_for_write

    params = tmp_path / "params"
    (params / "partnerships").mkdir(parents=True)
    (params / "measures.yaml").write_text(
        "measures:\n"
        "  - {id: primary-fires, name: Primary fires, theme: violence, source: police,\n"
        "     kind: count, polarity: lower_is_better, unit: per_100000,\n"
        "     noun: primary fires}\n", encoding="utf-8")
    (params / "partnerships" / "kettering.yaml").write_text(
        "id: kettering\nname: Kettering\narea:\n  districts: [Kettering]\n"
        "targets:\n"
        "  - {id: fires, measure: primary-fires, kind: rate, unit: per_100000, value: 249.4,\n"
        "     outcome: E2a, outcome_title: Fires, title: Primary fires, theme: violence,\n"
        "     lead: Fire, polarity: lower_is_better, baseline: 2008/09, strategy: 2009/10}\n",
        encoding="utf-8")
    store = tmp_path / "store.duckdb"
    series = monthly("2006-04", "2009-12", lambda i: 18 + i % 4)
    with connect_for_write(store) as con:
        con.execute("INSERT INTO partnerships VALUES ('kettering', 'Kettering', 'params', "
                    "true)")
        con.execute("INSERT INTO partnership_districts VALUES ('kettering', 'Kettering')")
        for year, pop in POPULATIONS.items():
            con.execute("INSERT INTO population VALUES ('Kettering', ?, ?)", [year, pop])
        for m, v in series.items():
            con.execute("INSERT INTO series VALUES ('kettering', 'primary-fires', ?, ?, NULL)",
                        [m, v])
    with Store(store) as s:
        found = assess_partnership(s, params, "kettering", BULLETIN)
    a = next(x for x in found if x.target_id == "fires")
    total_2009 = sum(v for m, v in series.items() if m >= "2009-01")
    assert a.rolling_12 == pytest.approx(total_2009 * 100_000 / POPULATIONS[2009])
    base = sum(v for m, v in series.items() if "2008-04" <= m <= "2009-03")
    assert a.baseline_value == pytest.approx(base * 100_000 / POPULATIONS[2008])
    assert a.rate_population_year == 2009


# --------------------------------------------------------------------------- charts


def _texts(svg: str) -> list[str]:
    import re

    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_a_quarterly_chart_is_labelled_in_quarters() -> None:
    from cdrp_lib.charts import control_chart, performance_chart

    spec = target("quarterly-thing", kind="reduction", percent=5, baseline="2007/08",
                  strategy={"start": "2008-04", "end": "2011-03"})
    a = public_view(assess(quarterly_series(), spec, BULLETIN, measure=QUARTERLY,
                           max_lag_months=3))
    texts = _texts(performance_chart(a).svg)
    quarters = [t for t in texts if " Q" in t]
    assert quarters and all(t.split(" Q")[1] in "1234" for t in quarters)
    assert not any(t.startswith(("Mar ", "Jun ", "Sep ", "Dec ")) for t in texts)
    assert any("quarters" in t for t in texts)  # the trend's window, in quarters
    assert "quarterly values" in control_chart(a).title


def test_a_rate_chart_shows_its_unit() -> None:
    from cdrp_lib.charts import performance_chart

    series = monthly("2006-04", "2009-12", lambda i: 18 + i % 3)
    a = public_view(assess(series, fires_target(), BULLETIN, measure=FIRES,
                           population_by_year=POPULATIONS))
    chart = performance_chart(a)
    texts = _texts(chart.svg)
    # the y axis names the unit, on two lines (one ran past the top of the chart) ...
    assert {"Primary fires per 100,000 population,", "rolling 12 months"} <= set(texts), texts
    # ... so the legend gives bare rates, and fits beside the chart
    legend = [t for t in texts if t.startswith(("Baseline", "Target", "Projection"))]
    assert legend and not any("per 100,000" in t for t in legend), legend
    assert "249.4" in chart.alt and "per 100,000 population" in chart.alt


def test_small_numbers_are_said_not_drawn() -> None:
    from cdrp_lib.charts import control_chart, performance_chart

    series = monthly("2006-04", "2009-12", lambda i: 1 if i % 24 == 5 else 0)
    spec = target("fire-fatalities", kind="rate", unit="per_100000", value=0.6,
                  baseline="2008/09", strategy="2009/10")
    a = public_view(assess(series, spec, BULLETIN, measure=FATALITIES,
                           population_by_year=POPULATIONS))
    control = control_chart(a)
    assert any("too few events" in t for t in _texts(control.svg))
    assert NotAssessedReason.SMALL_NUMBERS.sentence in control.alt
    texts = _texts(performance_chart(a).svg)
    assert "Target trajectory" not in texts and not any(t.startswith("Trend") for t in texts)


def test_a_cohorts_table_is_its_allowance_and_pace() -> None:
    series = {"2009-06": 140.0, "2009-09": 150.0}
    a = public_view(assess(series, ceiling(), BULLETIN, measure=COHORT, max_lag_months=4))
    html = performance_table(a).html
    assert "Offences to date against the pro-rata allowance" in html
    assert "290 offences" in html and "allowance 301.5 of 603" in html
    assert "Reduction required" not in html


# --------------------------------------------------------------------------- disclosure (§9)


def test_a_rate_under_disclosure_control_hides_counts_not_small_rates() -> None:
    """A rate of 3 per 100,000 is not a count of 3: only months of 1-4 and the totals
    that add them up are withheld, through public_view as for counts."""
    sensitive = Measure(id="da-rate", name="Domestic abuse rate", theme="violence",
                        source="domestic_abuse", polarity="lower_is_better", unit="per_100000")
    big = {y: 4_000_000.0 for y in range(2004, 2011)}
    series = monthly("2007-01", "2009-12", 10)
    a = public_view(assess(series, None, BULLETIN, measure=sensitive, population_by_year=big))
    assert a.rolling_12 == pytest.approx(3.0) and not a.is_withheld("rolling_12")
    series["2009-06"] = 2.0
    b = public_view(assess(series, None, BULLETIN, measure=sensitive, population_by_year=big))
    assert b.rolling_12 is None and b.withheld["rolling_12"] == "[c]"
    assert any(p.suppressed for p in b.history if p.month == "2009-06")


# --------------------------------------------------------------------------- params


def _params(tmp_path: Path, unit: str, kind: str) -> Path:
    params = tmp_path / "params"
    (params / "partnerships").mkdir(parents=True)
    (params / "measures.yaml").write_text(
        "measures:\n"
        "  - {id: young-offenders, name: Young offenders, theme: violence, source: police,\n"
        f"     kind: count, polarity: lower_is_better, unit: {unit}, frequency: quarterly}}\n",
        encoding="utf-8")
    extra = ("limit: 603, cohort: 371, period: 2009/10" if kind == "ceiling"
             else "percent: 5")
    (params / "partnerships" / "kettering.yaml").write_text(
        "id: kettering\nname: Kettering\narea:\n  districts: [Kettering]\n"
        # defaults for the other targets: a ceiling keeps its own period, no baseline
        "target_defaults: {baseline: 2008/09, strategy: 2009/10}\n"
        "targets:\n"
        f"  - {{id: yo, measure: young-offenders, kind: {kind}, {extra},\n"
        "     outcome: V1b, outcome_title: Offending, title: Young offenders,\n"
        "     theme: violence, lead: YOS, polarity: lower_is_better}\n", encoding="utf-8")
    return params


def test_a_ceiling_in_a_partnership_file_loads(tmp_path: Path) -> None:
    from cdrp_lib.params import load_partnerships

    found = load_partnerships(_params(tmp_path, "cohort_offences", "ceiling"))
    spec = found["kettering"].targets[0]
    assert isinstance(spec, CeilingTarget) and spec.limit == 603 and spec.cohort == 371


@pytest.mark.parametrize(("unit", "kind"), [("count", "ceiling"),
                                            ("cohort_offences", "reduction")])
def test_a_ceiling_and_a_cohort_measure_go_together(tmp_path: Path, unit: str,
                                                    kind: str) -> None:
    from cdrp_lib.errors import ParamsError
    from cdrp_lib.params import load_partnerships

    with pytest.raises(ParamsError, match="cohort_offences") as err:
        load_partnerships(_params(tmp_path, unit, kind))
    assert "kettering.yaml" in str(err.value)


# --------------------------------------------------------------------------- any series


UNITS_AND_TARGETS = {
    "per_100000": lambda: fires_target(),
    "mean_12_months": lambda: target("m", kind="level", value=430,
                                     baseline={"start": "2004-01", "end": "2006-12"},
                                     strategy={"start": "2007-01", "end": "2009-12"}),
    "cohort_offences": lambda: ceiling(),
    "count": lambda: target("m", kind="reduction", percent=5, baseline="2007/08",
                            strategy={"start": "2008-04", "end": "2011-03"}),
}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(unit=st.sampled_from(sorted(UNITS_AND_TARGETS)),
       frequency=st.sampled_from(["monthly", "quarterly", "annual"]),
       values=st.lists(st.one_of(st.none(), st.integers(0, 60)), min_size=0, max_size=70),
       lag=st.one_of(st.none(), st.integers(0, 6)))
def test_any_series_in_any_unit_is_assessed_never_raising(
        unit: str, frequency: str, values: list[int | None], lag: int | None) -> None:
    from cdrp_lib.charts import control_chart, performance_chart

    step = {"monthly": 1, "quarterly": 3, "annual": 12}[frequency]
    last = Month(2009, 9) if step == 3 else Month(2010, 3) if step == 12 else Month(2009, 12)
    series = {str(last - step * (len(values) - 1 - i)): (None if v is None else float(v))
              for i, v in enumerate(values)}
    m = measure("m", "A measure", unit=unit, frequency=frequency, noun="events")
    a = assess(series, UNITS_AND_TARGETS[unit](), "2010-03", measure=m, max_lag_months=lag,
               population_by_year=POPULATIONS)
    assert (a.rag is None) == (a.not_assessed_reason is not None)
    assert a.unit == unit and a.frequency == frequency
    for part in (AssessmentPart.ROLLING, AssessmentPart.TRAJECTORY, AssessmentPart.TREND):
        figure = {AssessmentPart.ROLLING: a.rolling_12,
                  AssessmentPart.TRAJECTORY: a.trajectory_status,
                  AssessmentPart.TREND: a.trend_projection}[part]
        assert figure is not None or a.reason(part) is not None, part
    view = public_view(a)
    performance_chart(view)
    control_chart(view)
    performance_table(view)
