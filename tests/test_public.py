"""One disclosure boundary (methods §9): nothing published holds a figure the public view withholds.

Series with small counts of a measure under disclosure control (the domestic-abuse
extract, or a breakdown below a partnership) go through :func:`assess`; every output
is then rendered (performance, control, small-multiple and repeat-rate charts: CSV
and alt text; performance, targets and repeat tables: cells, HTML and CSV; the
narrative; figures.json; ``cdrp assess`` as text and as ``--json``) and checked,
position by position, against what §9 says must be withheld.

What must be withheld is worked out here from the series and from what assess
flagged, by the rules written out below (not by the view's own code), so a view,
chart, table or sentence that lets a figure through fails: a hidden month must carry
its mark in every CSV row of that month, a withheld field must be null in the JSON
and absent from the sentence and alt-text slot that would print it.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from cdrp_lib import charts, tables
from cdrp_lib.assess import assess
from cdrp_lib.assessment import Assessment
from cdrp_lib.cli import assess as assess_cli
from cdrp_lib.narrative import narrate
from cdrp_lib.params import Measure, SuppressionParams
from cdrp_lib.params import Target as TargetSpec
from cdrp_lib.periods import Month
from cdrp_lib.public import PublicAssessment, public_view

LAST = Month(2025, 3)
BASELINE_YEAR = [str(Month(2023, 4) + i) for i in range(12)]  # 2023/24
K = 5  # the default suppression threshold
MIN_DEN = 10
MARK, SECONDARY = "<5", "[c]"
_TARGETS: TypeAdapter[Any] = TypeAdapter(TargetSpec)

#: §9 field by field: when the left field is withheld, these are too (written out here
#: as the specification, independently of cdrp_lib.stats.disclosure.WITHHELD_WITH).
PEER_FIGURES = {"peer_rate", "peer_distance", "peer_distance_pct", "peer_excess",
                "peer_average", "peer_lower", "peer_upper", "peer_member_rates"}
CHANGES = {"change_12m", "change_12m_pct", "change_12m_pp"}
TRAJECTORY = {"trajectory_target", "trajectory_lower", "trajectory_upper", "spc_target"}
RULES: dict[str, set[str]] = {
    "rolling_12": CHANGES | PEER_FIGURES | {"change_from_baseline_pct",
                                            "reduction_required_pct", "trend_projection",
                                            "trend_line"},
    "previous_rolling_12": CHANGES,
    "baseline_value": {"target_value", "required_change", "target_text",
                       "change_from_baseline_pct", "reduction_required_pct"} | TRAJECTORY,
    "target_value": TRAJECTORY,
    "target_text": TRAJECTORY,
    "rolling_12_numerator": {"rolling_12"} | PEER_FIGURES,
    "rolling_12_denominator": {"rolling_12"},
}
FIELDS = {f.name for f in fields(Assessment)}


# ----------------------------------------------------------------------------- inputs


def _series(first: Month, values: Iterable[float | None]) -> pd.Series:
    vals = list(values)
    return pd.Series([math.nan if v is None else v for v in vals],
                     index=[str(first + i) for i in range(len(vals))], dtype=float)


def _measure(kind: str, sensitive: bool) -> Measure:
    if kind == "proportion":
        return Measure(id="da-repeat-rate", name="Repeat domestic abuse crime rate",
                       theme="domestic_abuse", source="domestic_abuse", kind="proportion",
                       polarity="lower_is_better")  # type: ignore[arg-type]
    if sensitive:
        return Measure(id="da-crimes", name="Domestic abuse crimes", theme="domestic_abuse",
                       source="domestic_abuse", kind="count",
                       polarity="lower_is_better")  # type: ignore[arg-type]
    return Measure(id="vehicle-crime", name="Vehicle crime", theme="acquisitive_crime",
                   source="police", kind="count", polarity="lower_is_better")  # type: ignore[arg-type]


def _target(m: Measure) -> Any:
    raw: dict[str, Any] = {
        "id": "t1", "measure": m.id, "outcome": "A1", "outcome_title": "An outcome",
        "title": "A target", "theme": m.theme, "lead": "Police",
        "polarity": "lower_is_better", "baseline": "2023/24",
        "strategy": {"start": "2024-04", "end": "2027-03"}}
    raw.update({"kind": "rate", "value": 20} if m.kind == "proportion"
               else {"kind": "reduction", "percent": 5})
    return _TARGETS.validate_python(raw)


@dataclass(frozen=True)
class Case:
    a: Assessment
    values: dict[str, float | None]  # the monthly counts (numerators for a rate)
    dens: dict[str, float | None]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    kind = draw(st.sampled_from(["count", "count", "proportion"]))
    n = draw(st.integers(24, 40))
    first = LAST - (n - 1)
    targeted = draw(st.booleans())
    if kind == "count":
        sensitive = draw(st.booleans())
        sub_area = not sensitive or draw(st.booleans())
        counts = draw(st.lists(st.sampled_from([0, 1, 2, 3, 4, 5, 7, 12, 30, None]),
                               min_size=n, max_size=n))
        m = _measure("count", sensitive)
        peers = draw(st.booleans()) and not sub_area
        other = {p: _series(first, [c or 9 for c in counts]) for p in ("B", "C")}
        a = assess(_series(first, counts), _target(m) if targeted else None, str(LAST),
                   measure=m, partnership="A", sub_area=sub_area,
                   peers=other if peers else None,
                   populations={"A": 50_000.0, "B": 60_000.0, "C": 40_000.0} if peers else None)
        months = [str(first + i) for i in range(n)]
        return Case(a, dict(zip(months, counts, strict=True)), {})
    dens = draw(st.lists(st.sampled_from([0, 1, 2, 4, 6, 9, 12, 20]), min_size=n, max_size=n))
    nums = [draw(st.integers(0, d)) for d in dens]
    m = _measure("proportion", True)
    a = assess(_series(first, nums), _target(m) if targeted else None, str(LAST), measure=m,
               denominators=_series(first, dens))
    months = [str(first + i) for i in range(n)]
    return Case(a, dict(zip(months, nums, strict=True)), dict(zip(months, dens, strict=True)))


# ----------------------------------------------------------------------------- the specification


def _small(x: float | None) -> bool:
    return x is not None and 0 < x < K


def _window(month: str) -> set[str]:
    end = Month.parse(month)
    return {str(end - i) for i in range(12)}


@dataclass(frozen=True)
class Withheld:
    fields: frozenset[str]  # withheld figures that exist in the Assessment
    months: frozenset[str]  # months whose own value is withheld
    totals: frozenset[str]  # months whose rolling 12-month figure is withheld


def withheld(case: Case) -> Withheld:
    """What §9 withholds, from the series and assess's flags, by the rules above."""
    a = case.a
    names = set(a.suppressed_fields) & FIELDS - {"history", "spc_points"}
    months = {p.month for p in a.history if p.suppressed}
    end = a.data_to
    if a.kind == "count":
        small = {m for m, v in case.values.items() if _small(v)}
        small |= {p.month for p in a.history if _small(p.rolling_12)}
        months |= small
        totals = {p.month for p in a.history if p.rolling_12 is not None
                  and (_window(p.month) & small or p.rolling_suppressed)}
        for name, month in (("rolling_12", end), ("previous_rolling_12",
                                                  None if end is None else
                                                  str(Month.parse(end) - 12))):
            if month is not None and _window(month) & small and getattr(a, name) is not None:
                names.add(name)
        if set(BASELINE_YEAR) & small and a.baseline_value is not None:
            names.add("baseline_value")
        names |= {n for n in ("month_value", "rolling_12", "previous_rolling_12",
                              "baseline_value", "target_value") if _small(getattr(a, n))}
    else:
        totals = {p.month for p in a.history if p.rolling_12 is not None
                  and (p.rolling_suppressed or p.month in months)}
        if _small(a.rolling_12_numerator):
            names.add("rolling_12_numerator")
        if a.rolling_12_denominator is not None and a.rolling_12_denominator < MIN_DEN:
            names.add("rolling_12")
    grew = True
    while grew:
        before = set(names)
        for name in before:
            names |= RULES.get(name, set())
        grew = names != before
    present = frozenset(n for n in names if getattr(a, n, None) is not None)
    if end is not None:
        if "rolling_12" in present:
            totals.add(end)
        if "month_value" in present:
            months.add(end)
    return Withheld(present, frozenset(months), frozenset(totals | (months & {
        p.month for p in a.history if p.rolling_12 is not None})))


# ----------------------------------------------------------------------------- reading outputs


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _number(x: float) -> str:
    """A figure as a chart CSV writes it (unrounded)."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _cli_json(a: Assessment) -> dict[str, Any]:
    """``cdrp assess --json`` on ``a`` (its store read replaced by ``a`` itself)."""
    import cdrp_lib.assess
    import cdrp_lib.store

    class _Store:
        def __init__(self, *args: object) -> None: ...
        def __enter__(self) -> _Store:
            return self
        def __exit__(self, *args: object) -> None: ...

    args = argparse.Namespace(partnership="A", measure=a.measure, month=a.month,
                              target=a.target_id, store=None, params=None, json=True)
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
        mp.setattr(cdrp_lib.store, "Store", _Store)
        mp.setattr(cdrp_lib.assess, "assess_partnership", lambda *args, **kw: [a])
        mp.setattr(cdrp_lib.assess, "cached_params", lambda *args: ({}, {}, None))
        assert assess_cli.run(args) == 0
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


# ----------------------------------------------------------------------------- the property


def check_nothing_withheld_is_published(case: Case, cli_json: dict[str, Any]) -> None:
    a = case.a
    w = withheld(case)
    mark = SECONDARY if a.is_proportion else MARK
    raw = {p.month: p for p in a.history}
    target_hidden = bool(w.fields & {"baseline_value", "target_value", "target_text"})

    # figures.json and `cdrp assess --json`: every withheld figure null, in its place
    for doc in (public_view(a).to_json(), cli_json):
        for name in w.fields:
            assert doc[name] is None, name
        for p in doc["history"]:
            if p["month"] in w.months:
                assert p["value"] is None and p["rolling_12"] is None, p
            if p["month"] in w.totals:
                assert p["rolling_12"] is None, p
            if target_hidden:
                assert p["trajectory_target"] is p["trajectory_lower"] is None, p
        for p in doc["spc_points"]:
            if p["month"] in w.months:
                assert p["value"] is None, p
    # the view the consumers read agrees, field by field
    v = public_view(a)
    assert w.fields <= set(v.withheld) and all(getattr(v, n) is None for n in w.fields)

    # performance chart (or the repeat-rate chart of a rate): every row of a withheld month
    # carries the mark where the figure would be
    perf = charts.performance_chart(a)
    for row in _rows(perf.csv):
        if row["month"] not in raw:  # the trend's projection, drawn only when shown
            assert "trend_line" not in w.fields and row["trend_line"], row
            continue
        m, p = row["month"], raw[row["month"]]
        if m in w.months:
            assert row["monthly_value"] == mark and row["rolling_12"] == mark, row
        elif m in w.totals:
            assert row["rolling_12"] in (mark, SECONDARY), row
        if target_hidden:
            assert {row["trajectory"], row["lower_limit"], row["upper_limit"]} <= {mark}, row
        if p.value is not None and m not in w.months:
            assert row["monthly_value"] == _number(p.value), row
    # (the baseline's diamond sits at its month but shows the baseline, not the month)
    assert not w.months & {m for m, shape in perf.points if shape != "D"}
    for chart in (charts.small_multiple([a]),):
        for row in _rows(chart.csv):
            if row["month"] in w.months | w.totals:
                assert row["rolling_12"] in (mark, SECONDARY), row
    if a.is_proportion:
        rate = charts.repeat_rate_chart(a)
        for row in _rows(rate.csv):
            if row["month"] in w.months | w.totals:
                assert row["rolling_12_rate_percent"] == SECONDARY, row
        assert not (w.months | w.totals) & {m for m, _ in rate.points}

    # control chart: a withheld month is its mark and is not drawn
    control = charts.control_chart(a)
    for row, p in zip(_rows(control.csv), a.spc_points, strict=True):
        if p.value is not None and p.month in w.months:
            assert row["value"] == mark, row
        if "spc_target" in w.fields:
            assert row["monthly_target"] == SECONDARY, row
    assert not w.months & {m for m, _ in control.points}

    # the alt texts: the slot that states a figure never states a withheld one
    alt = perf.alt
    if "rolling_12" in w.fields:
        assert not re.search(r"rolling 12-month (total|rate) was", alt), alt
    if target_hidden:
        assert not re.search(r"The target is [\d<]|limits [\d,.]+%? to", alt), alt
    if control.alt and a.spc_points:
        last = a.spc_points[-1]
        if last.value is not None and last.month in w.months:
            label = Month.parse(last.month).label
            assert not re.search(rf"\. {label}: [\d,.]", control.alt), control.alt
    panel = charts.small_multiple([a]).alt
    if "rolling_12" in w.fields:
        assert "in the 12 months to" not in panel, panel

    # sentences: the narrative the view gives and the one assess stored
    for texts in (narrate(v), a.narrative):
        text = " ".join(texts)
        if "rolling_12" in w.fields:
            assert "totalled" not in text and "Over the last 12 months" not in text, text
            assert not re.search(r"projected to \w+ (to|at) ", text), text
        if "month_value" in w.fields:
            assert not re.search(r"figure for [^,]+, [\d,.]+%? ?\w*, was", text), text
        if "baseline_value" in w.fields:
            assert "baseline for" not in text, text
        if "target_text" in w.fields:
            assert "The target is" not in text, text
        if "peer_rate" in w.fields:
            assert "per 1,000 residents" not in text and "group average of" not in text, text

    # tables: the cell of a withheld figure says so, and prints no figure
    perf_table = tables.performance_table(a)
    withheld_cell = "withheld to protect identities"
    if w.fields & CHANGES:
        cell = perf_table.rows[3][1]
        assert cell.note == withheld_cell, cell
    if "trend_projection" in w.fields:
        assert "projected" not in perf_table.rows[1][1].note
    if "month_value" in w.fields:
        assert " in " not in perf_table.rows[2][1].note.split(";")[0], perf_table.rows[2][1]
    targets = tables.targets_table([a])
    (row,) = targets.rows
    if "baseline_value" in w.fields:
        assert row[2].note == withheld_cell, row
    if "rolling_12" in w.fields:
        assert row[3].note == withheld_cell, row
    if "target_text" in w.fields:
        assert row[1].note == withheld_cell, row
    if a.is_proportion:
        (rep,) = tables.repeat_table([a]).rows
        if "rolling_12_numerator" in w.fields:
            assert rep[2].text in (MARK, SECONDARY), rep
        if "rolling_12" in w.fields:
            assert rep[4].text == SECONDARY, rep
        assert rep[4].text == SECONDARY or "rolling_12" not in w.fields

    # `cdrp assess` as text: each figure's slot prints the mark
    text = assess_cli.render_text(a)
    lines = {line.split("  ")[1].strip(): line for line in text.splitlines()
             if line.startswith("  ") and len(line.split("  ")) > 2}
    if "rolling_12" in w.fields and "Rolling 12 months" in lines:
        assert lines["Rolling 12 months"].split()[3] == MARK, lines["Rolling 12 months"]
    if "target_text" in w.fields:
        assert "Target" not in lines, lines
    if "trajectory_lower" in w.fields and "Trajectory" in lines:
        assert f"limits {MARK} to {MARK}" in lines["Trajectory"], lines["Trajectory"]
    if "peer_rate" in w.fields and "Most similar group" in lines:
        assert f"{MARK} vs {MARK}" in lines["Most similar group"], lines
    if "month_value" in w.fields and "Past month" in lines:
        assert f": {MARK} (expected" in lines["Past month"], lines["Past month"]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=cases())
def test_no_output_holds_a_figure_the_public_view_withholds(case: Case) -> None:
    check_nothing_withheld_is_published(case, _cli_json(case.a))


# ----------------------------------------------------------------------------- the settings


def test_the_suppression_settings_decide_which_measures_are_controlled() -> None:
    counts = _series(LAST - 35, [3] * 36)
    da, police = _measure("count", True), _measure("count", False)
    assert assess(counts, None, str(LAST), measure=da).suppressed
    assert not assess(counts, None, str(LAST), measure=police).suppressed
    assert assess(counts, None, str(LAST), measure=police, sub_area=True).suppressed
    none = SuppressionParams(sources=(), below_partnership=False)
    assert not assess(counts, None, str(LAST), measure=da, suppression=none).suppressed
    assert not assess(counts, None, str(LAST), measure=police, sub_area=True,
                      suppression=none).suppressed
    police_too = SuppressionParams(sources=("domestic_abuse", "police"))
    assert assess(counts, None, str(LAST), measure=police, suppression=police_too).suppressed


def test_the_view_is_frozen_and_leaves_the_assessment_alone() -> None:
    a = assess(_series(LAST - 35, [3] * 36), None, str(LAST), measure=_measure("count", True))
    v = public_view(a)
    assert isinstance(v, PublicAssessment) and public_view(v) is v
    assert a.rolling_12 == 36 and v.rolling_12 is None and v.mark_of("rolling_12") == SECONDARY
    assert v.mark_of("month_value") == MARK and a.month_value == 3
    with pytest.raises(AttributeError):
        v.rolling_12 = 36  # type: ignore[misc]
    with pytest.raises(TypeError):
        v.withheld["rolling_12"] = ""  # type: ignore[index]
    assert set(public_view(a).to_json()) == set(a.to_json())  # figures.json keeps its format
