"""Charts: deterministic vector SVG, alt text that states the finding, shapes that carry status.

Assessments come from :func:`cdrp_lib.assess.assess` on tiny in-memory series,
so the charts are tested against what the statistics really produce.  Marker
shapes are read back from the drawn matplotlib artists (``Chart.markers`` and
``Chart.points``), not from the tables the chart module draws with.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from cdrp_lib import palette
from cdrp_lib.assess import SurveyWave, assess
from cdrp_lib.assessment import Assessment
from cdrp_lib.charts import (
    DPI,
    STATUS_MARKERS,
    Chart,
    control_chart,
    performance_chart,
    repeat_rate_chart,
    small_multiple,
    survey_chart,
)
from cdrp_lib.params import Measure, Target
from cdrp_lib.periods import month_range
from cdrp_lib.stats.enums import SpcPointType, TrajectoryStatus
from cdrp_lib.stats.rounding import fmt_number, fmt_pct
from cdrp_lib.stats.units import period_short

SVG_NS = "{http://www.w3.org/2000/svg}"
CHARTS_DIR = Path(__file__).resolve().parents[1] / "cdrp_lib" / "charts"
FIRST_MONTH, LAST_MONTH = "2020-04", "2025-03"
TARGETS: TypeAdapter[Target] = TypeAdapter(Target)


# ----------------------------------------------------------------------------- fixtures


def _months() -> list[str]:
    return [str(m) for m in month_range(FIRST_MONTH, LAST_MONTH)]


def _blocks(*blocks: tuple[int, float]) -> dict[str, float]:
    """Monthly values from (how many months, value) blocks, from April 2020 to March 2025."""
    values = [v for n, v in blocks for _ in range(n)]
    return dict(zip(_months(), values, strict=True))


def _target(polarity: str = "lower_is_better", **kw: object) -> Target:
    base: dict[str, object] = {
        "id": "vehicle-crime", "kind": "reduction", "measure": "vehicle-crime",
        "outcome": "A1", "outcome_title": "Acquisitive crime", "title": "Reduce vehicle crime",
        "theme": "acquisitive_crime", "lead": "Police", "polarity": polarity,
        "baseline": "2022/23", "strategy": {"start": "2023-04", "end": "2026-03"},
    }
    if "kind" not in kw:
        base["percent"] = 5
    return TARGETS.validate_python({**base, **kw})


def _measure(name: str = "Vehicle crime", **kw: object) -> Measure:
    base: dict[str, object] = {"id": "vehicle-crime", "name": name, "theme": "acquisitive_crime",
                               "source": "police", "kind": "count",
                               "polarity": "lower_is_better"}
    return Measure.model_validate({**base, **kw})


# 80 a month through the baseline year, then a fall to 77 from October 2023 and a
# spike of 100 in March 2025: the rolling position is on, above and below target.
VEHICLE = _blocks((42, 80), (17, 77), (1, 100))


@pytest.fixture(scope="module")
def vehicle() -> Assessment:
    return assess(VEHICLE, _target(), LAST_MONTH, measure=_measure(),
                  partnership="ashcombe", partnership_name="Ashcombe")


@pytest.fixture(scope="module")
def rising() -> Assessment:
    """A higher-is-better measure (domestic abuse reports) with an increase target."""
    m = _measure("Domestic abuse crimes", id="da-crimes", theme="domestic_abuse",
                 source="domestic_abuse", polarity="higher_is_better")
    t = _target("higher_is_better", id="da-crimes", measure="da-crimes", kind="increase",
                percent=5, theme="domestic_abuse")
    series = _blocks((42, 50), (17, 53), (1, 40))
    return assess(series, t, LAST_MONTH, measure=m)


@pytest.fixture(scope="module")
def survey_waves() -> list[Assessment]:
    m = _measure("Feeling safe after dark", id="feel-safe", theme="perception",
                 source="survey", kind="proportion", polarity="higher_is_better",
                 question="feel_safe")
    t = _target("higher_is_better", id="feel-safe", measure="feel-safe", kind="survey",
                value=65, theme="perception")
    waves = [SurveyWave("2022/23", "2023-03", 550, 1000),
             SurveyWave("2023/24", "2024-03", 570, 1000),
             SurveyWave("2024/25", "2025-03", 600, 1000)]
    return [assess(None, t, month, measure=m, survey=waves) for month in ("2024-03", "2025-03")]


def _repeat_measure() -> Measure:
    return _measure("Repeat domestic abuse crime rate", id="da-repeat-rate",
                    theme="domestic_abuse", source="domestic_abuse", kind="proportion")


@pytest.fixture(scope="module")
def repeats() -> Assessment:
    """A case every other month until July 2023 (rates on fewer than 10), then 6 of 20 a month."""
    months = _months()
    num = {m: (0 if i < 40 else 6) for i, m in enumerate(months)}
    den = {m: (i % 2 if i < 40 else 20) for i, m in enumerate(months)}
    return assess(num, None, LAST_MONTH, measure=_repeat_measure(), denominators=den)


# ----------------------------------------------------------------------------- helpers


def _svg_root(chart: Chart) -> ET.Element:
    """The chart's SVG parsed as XML: a well-formed ``<svg>`` element."""
    root = ET.fromstring(chart.svg)
    assert root.tag == f"{SVG_NS}svg"
    return root


def _ids(svg: str) -> list[str]:
    return re.findall(r'\sid="([^"]+)"', svg)


def _csv_rows(chart: Chart) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(chart.csv)))


def _label(a: Assessment, status: TrajectoryStatus) -> str:
    return next(lab for lab, _ in (performance_chart(a).markers)
                if lab.lower().startswith(status.words))


# ----------------------------------------------------------------------------- SVG


@pytest.mark.parametrize("draw", ["performance", "control", "small", "survey", "repeat"])
def test_every_chart_is_vector_svg_of_its_stated_size_and_byte_identical_twice(
        draw: str, vehicle: Assessment, survey_waves: list[Assessment],
        repeats: Assessment) -> None:
    make: Callable[[], Chart] = {
        "performance": lambda: performance_chart(vehicle),
        "control": lambda: control_chart(vehicle),
        "small": lambda: small_multiple([vehicle, repeats]),
        "survey": lambda: survey_chart(survey_waves),
        "repeat": lambda: repeat_rate_chart(repeats),
    }[draw]
    first, second = make(), make()
    assert first.svg == second.svg
    assert first == second
    root = _svg_root(first)
    assert (int(root.get("width", "0")), int(root.get("height", "0"))) == (first.width,
                                                                           first.height)
    _, _, w_pt, h_pt = (float(x) for x in root.get("viewBox", "").split())
    assert w_pt / h_pt == pytest.approx(first.width / first.height, rel=1e-3)
    # Vector only: no raster image anywhere, the words drawn are <text> elements.
    assert not list(root.iter(f"{SVG_NS}image")) and "base64" not in first.svg
    assert [t for t in root.iter(f"{SVG_NS}text") if (t.text or "").strip()]
    # Nothing that changes between runs or machines: no date, no generator, no metadata.
    assert "<metadata" not in first.svg and "Matplotlib" not in first.svg
    assert first.alt and first.title and first.csv.count("\n") >= 2


@pytest.mark.parametrize("draw", ["performance", "control", "survey"])
def test_svg_carries_its_alt_text_and_every_reference_resolves(
        draw: str, vehicle: Assessment, survey_waves: list[Assessment]) -> None:
    chart = {"performance": performance_chart, "control": control_chart,
             "survey": lambda _a: survey_chart(survey_waves)}[draw](vehicle)
    root = _svg_root(chart)
    assert root.get("role") == "img" and root.get("aria-label") == chart.alt
    # the accessible name is aria-label's (role="img"); a <title> repeated it in every chart
    assert root.find(f"{SVG_NS}title") is None
    ids = _ids(chart.svg)
    assert len(ids) == len(set(ids))
    referenced = set(re.findall(r'(?:url\(#|href="#)([^)"]+)', chart.svg))
    assert referenced and referenced <= set(ids)
    # Every class used is styled by the chart's own stylesheet, scoped to its id.
    style = root.find(f"{SVG_NS}style")
    assert style is not None and style.text
    used = {e.get("class") for e in root.iter() if e.get("class")} - {"chart-svg"}
    for name in used:
        assert f"#{root.get('id')} .{name}{{" in style.text
    assert all(rule.startswith(f"#{root.get('id')} ")
               for rule in re.findall(r"(?:^|})([^{}]+)\{", style.text))


def test_two_charts_share_no_id(vehicle: Assessment, repeats: Assessment) -> None:
    """Charts are inlined side by side in one page, where an id must be unique."""
    first = set(_ids(performance_chart(vehicle).svg))
    second = set(_ids(control_chart(vehicle).svg)) | set(_ids(repeat_rate_chart(repeats).svg))
    assert first and second and not first & second


def test_svg_is_shown_at_dpi_pixels_per_inch(vehicle: Assessment) -> None:
    chart = performance_chart(vehicle)
    assert (chart.width, chart.height) == (9 * DPI, 5 * DPI)  # the wide chart, 9 x 5 inches


def _rgb_hex(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def test_svg_keeps_the_status_colours_exact(vehicle: Assessment) -> None:
    svg = performance_chart(vehicle).svg.lower()
    for colour in (palette.BETTER, palette.WORSE, palette.ON_TARGET, palette.TARGET,
                   palette.BASELINE, palette.INK):
        assert colour.lower() in svg, colour


def test_every_chart_is_printed_by_the_one_svg_function() -> None:
    """A chart module that printed its own figure would bypass the SVG output (and its
    alt text, ids and determinism): only svg.py may print or draw a figure."""
    for module in CHARTS_DIR.glob("*.py"):
        if module.name != "svg.py":
            text = module.read_text(encoding="utf-8")
            assert ".savefig(" not in text and ".draw(" not in text, module.name


def test_importing_charts_does_not_import_matplotlib() -> None:
    code = "import sys, cdrp_lib.charts; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "False"


# ----------------------------------------------------------------------------- performance


def test_performance_markers_differ_by_status_and_each_month_has_its_status_shape(
        vehicle: Assessment) -> None:
    chart = performance_chart(vehicle)
    drawn = dict(chart.points)
    statuses = {p.month: p.trajectory_status for p in vehicle.history
                if p.trajectory_status is not None}
    assert set(statuses.values()) == set(TrajectoryStatus)  # the fixture has all three
    baseline = "2023-03"  # m = 0, marked as the baseline
    assert drawn[baseline] == "D"
    for month, status in statuses.items():
        if month != baseline:
            assert drawn[month] == STATUS_MARKERS[status], month
    legend = {lab: mk for lab, mk in chart.markers}
    shapes = {legend[_label(vehicle, s)] for s in TrajectoryStatus}
    assert len(shapes) == 3


def test_performance_legend_names_better_and_worse_by_polarity(
        vehicle: Assessment, rising: Assessment) -> None:
    lower = dict(performance_chart(vehicle).markers)
    assert lower["Below target (better)"] == "v" and lower["Above target (worse)"] == "^"
    higher = dict(performance_chart(rising).markers)
    assert higher["Above target (better)"] == "^" and higher["Below target (worse)"] == "v"
    assert "On target (within the limits)" in higher


def test_performance_marks_the_baseline(vehicle: Assessment) -> None:
    chart = performance_chart(vehicle)
    label = f"Baseline 2022/23: {fmt_number(vehicle.baseline_value)}"
    assert chart.marker(label) == "D"


def test_performance_alt_states_the_position_with_table_rounding(vehicle: Assessment) -> None:
    alt = performance_chart(vehicle).alt
    assert vehicle.rolling_12 is not None and vehicle.trajectory_target is not None
    assert (f"Vehicle crime: the rolling 12-month total was {fmt_number(vehicle.rolling_12)} "
            "crimes in March 2025, above the target trajectory of "
            f"{fmt_number(vehicle.trajectory_target)}") in alt
    recent = [p.trajectory_status for p in vehicle.history if p.trajectory_status][-12:]
    assert sum(1 for s in recent if s is TrajectoryStatus.ABOVE) == 1
    assert "; 1 of the last 12 months was above target." in alt
    below = performance_chart(dataclasses.replace(
        vehicle, month="2025-02", rolling_12=924.0, trajectory_status=TrajectoryStatus.BELOW,
        history=vehicle.history[:-1])).alt
    assert "; 11 of the last 12 months were below target." in below
    assert f"The target is {fmt_number(vehicle.target_value)} crimes by March 2026" in alt


def test_performance_csv_holds_the_plotted_figures(vehicle: Assessment) -> None:
    rows = _csv_rows(performance_chart(vehicle))
    by_month = {p.month: p for p in vehicle.history}
    projection = rows.pop()  # the trend's projection, beyond the data
    assert (projection["month"], float(projection["trend_line"])) == vehicle.trend_line[-1]
    assert projection["month"] > LAST_MONTH and vehicle.trend_projection is not None
    assert rows[-1]["month"] == LAST_MONTH
    fitted = dict(vehicle.trend_line)
    assert float(rows[-1]["trend_line"]) == pytest.approx(fitted[LAST_MONTH])
    for row in rows:
        p = by_month[row["month"]]
        assert float(row["rolling_12"]) == pytest.approx(p.rolling_12)
        if p.trajectory_target is not None:
            assert float(row["trajectory"]) == pytest.approx(p.trajectory_target)
            assert row["status"] == (p.trajectory_status.value if p.trajectory_status else "")


def test_performance_without_any_rolling_figure_says_why() -> None:
    a = assess({}, _target(), LAST_MONTH, measure=_measure())  # no data at all
    chart = performance_chart(a)
    _svg_root(chart)
    assert "No rolling 12-month figure" in chart.alt
    assert "not yet available" in chart.alt  # the source-late sentence


# ----------------------------------------------------------------------------- control


def test_control_chart_marks_special_causes_by_shape_and_prints_icon_badges(
        vehicle: Assessment) -> None:
    chart = control_chart(vehicle)
    legend = dict(chart.markers)
    improvement = legend["Special cause: improvement"]
    concern = legend["Special cause: concern"]
    assert improvement != concern
    drawn = dict(chart.points)
    for p in vehicle.spc_points:
        shapes: dict[SpcPointType | None, str] = {
            SpcPointType.SPECIAL_CAUSE_IMPROVEMENT: improvement,
            SpcPointType.SPECIAL_CAUSE_CONCERN: concern}
        expected = shapes.get(p.point_type)
        if expected is not None:
            assert drawn[p.month] == expected
    assert vehicle.variation_icon is not None and vehicle.assurance_icon is not None
    assert chart.badges[0].startswith("Variation: special cause concern")
    assert chart.badges[1] == "Assurance: the process will consistently fail the target"
    assert vehicle.spc_mean is not None
    assert f"mean {fmt_number(vehicle.spc_mean, 1)}" in chart.alt
    assert "Variation: special cause concern" in chart.alt


def test_control_chart_csv_has_limits(vehicle: Assessment) -> None:
    rows = _csv_rows(control_chart(vehicle))
    assert len(rows) == len(vehicle.spc_points)
    assert float(rows[0]["upper_process_limit"]) == pytest.approx(vehicle.spc_upper)
    assert float(rows[0]["lower_near_limit"]) == pytest.approx(vehicle.spc_near_lower)


def test_control_chart_never_plots_a_small_sensitive_count() -> None:
    """Domestic abuse MARAC referrals of 1-4 a month: shown as <5 in the CSV, not plotted."""
    m = _measure("MARAC referrals", id="marac-referrals", theme="domestic_abuse",
                 source="domestic_abuse", polarity="higher_is_better")
    series = _blocks((30, 6), (1, 3), (29, 7))
    a = assess(series, None, LAST_MONTH, measure=m)
    chart = control_chart(a)
    small = next(p.month for p in a.spc_points if p.value == 3)
    assert small not in dict(chart.points)
    row = next(r for r in _csv_rows(chart) if r["month"] == small)
    assert row["value"] == "<5"
    assert "1 month is not shown because the count is below 5" in chart.alt


# ----------------------------------------------------------------------------- small multiples


def test_small_multiple_alt_summarises_each_indicator(vehicle: Assessment,
                                                      rising: Assessment) -> None:
    chart = small_multiple([vehicle, rising])
    assert chart.alt.startswith("Small charts of 2 monitoring indicators")
    for a in (vehicle, rising):
        assert a.rolling_12 is not None and a.change_12m_pct is not None
        assert f"{a.measure_name}: {fmt_number(a.rolling_12)} crimes" in chart.alt
    assert {r["measure"] for r in _csv_rows(chart)} == {"vehicle-crime", "da-crimes"}
    with pytest.raises(ValueError, match="at least one"):
        small_multiple([])


# ----------------------------------------------------------------------------- survey


def test_survey_chart_draws_every_wave_and_states_the_latest_interval(
        survey_waves: list[Assessment]) -> None:
    chart = survey_chart(survey_waves)
    latest = survey_waves[-1]
    rows = _csv_rows(chart)
    assert [r["wave"] for r in rows] == ["March 2023", "2023/24", "2024/25"]
    assert rows[-1]["ci_low"] and float(rows[-1]["ci_low"]) == pytest.approx(
        latest.survey_ci_low)
    assert rows[0]["ci_low"] == ""  # the baseline wave is known from history only
    narrative = " ".join(latest.narrative)
    ci = re.search(r"\(95% CI ([\d.]+%) to ([\d.]+%)\)", narrative)
    assert ci is not None
    assert f"{fmt_pct(latest.survey_percent)} (95% CI {ci[1]} to {ci[2]})" in chart.alt
    assert "a significant increase from the 2022/23 baseline of 55.0%" in chart.alt
    legend = dict(chart.markers)
    assert legend["Survey result"] == "o"
    assert "Earlier wave (interval not shown)" in legend
    assert [float(r["baseline_percent"]) for r in rows[1:]] == [55.0, 55.0]


def _drawn_figure(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Keep each figure a chart draws (it is closed once encoded)."""
    from cdrp_lib.charts import base as charts  # where every chart prints its SVG

    figures: list[object] = []
    encode = charts._svg

    def keep(fig: object, *args: str) -> str:
        figures.append(fig)
        return encode(fig, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(charts, "_svg", keep)
    return figures


def _visible_x_labels(fig: object) -> list[tuple[str, object]]:
    (ax,) = fig.axes  # type: ignore[attr-defined]
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    low, high = ax.get_xlim()
    return [(t.get_text(), t.get_window_extent(renderer)) for t in ax.get_xticklabels()
            if t.get_visible() and t.get_text() and low <= t.get_position()[0] <= high]


def _svg_measure(fig: object) -> object:
    """A renderer measuring text as the chart's SVG is drawn (the figure is at 72 dpi)."""
    from cdrp_lib.charts import svg

    return svg._svg_renderer(fig, io.StringIO())  # type: ignore[arg-type]


def _past_the_edge(fig: object) -> list[str]:
    """The sides of ``fig`` that what it draws (every label, tick, badge, legend entry:
    its tight box) reaches past, by more than a pixel, as the SVG is drawn."""
    renderer = _svg_measure(fig)
    drawn, edge = fig.get_tightbbox(renderer), fig.bbox_inches  # type: ignore[attr-defined]
    px = fig.dpi  # type: ignore[attr-defined]
    sides = {"left": edge.x0 - drawn.x0, "bottom": edge.y0 - drawn.y0,
             "right": drawn.x1 - edge.x1, "top": drawn.y1 - edge.y1}
    return [f"{side} by {over * px:.1f} px" for side, over in sides.items() if over * px > 1]


@pytest.mark.parametrize("draw", ["performance", "rising", "control", "small", "grid",
                                  "survey", "repeat", "empty"])
def test_every_chart_fits_its_figure_and_the_legend_clears_the_plot(
        draw: str, vehicle: Assessment, rising: Assessment, survey_waves: list[Assessment],
        repeats: Assessment, monkeypatch: pytest.MonkeyPatch) -> None:
    """No label, tick, badge or legend entry is cut off at the chart's edge, the legend
    sits below the plots' tick labels and axis titles, and no panel runs into another."""
    from cdrp_lib.charts import svg

    figures = _drawn_figure(monkeypatch)
    {
        "performance": lambda: performance_chart(vehicle),
        "rising": lambda: performance_chart(rising),
        "control": lambda: control_chart(vehicle),
        "small": lambda: small_multiple([vehicle, rising, repeats]),
        "grid": lambda: small_multiple([vehicle, rising, repeats, vehicle, rising]),
        "survey": lambda: survey_chart(survey_waves),
        "repeat": lambda: repeat_rate_chart(repeats),
        "empty": lambda: performance_chart(dataclasses.replace(vehicle, history=())),
    }[draw]()
    fig = figures[-1]
    assert _past_the_edge(fig) == []
    renderer = _svg_measure(fig)
    plots = [ax.get_tightbbox(renderer) for ax in fig.axes if ax.axison]  # type: ignore[attr-defined]
    for legend in fig.legends:  # type: ignore[attr-defined]
        assert legend.get_window_extent(renderer).y1 <= min(p.y0 for p in plots) + 1
    # panels of a grid, each with its title and labels, keep apart
    for a, b in itertools.combinations(plots, 2):
        overlap = min(a.x1, b.x1) - max(a.x0, b.x0), min(a.y1, b.y1) - max(a.y0, b.y0)
        assert min(overlap) <= 1, (a, b)
    assert svg.FIT_PAD_POINTS > 0


def test_performance_month_labels_stay_apart_when_the_axis_reaches_the_projection(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The axis runs on to the projected month, two years past the data: the labels are
    thinned over its whole length (spaced for the data alone, every three months, they
    ran into each other), and the latest month and the projection's are both labelled."""
    target = _target(baseline="2023/24", strategy={"start": "2024-04", "end": "2027-03"})
    three_years = {m: x for m, x in VEHICLE.items() if m >= "2022-04"}
    vehicle = assess(three_years, target, LAST_MONTH, measure=_measure())
    figures = _drawn_figure(monkeypatch)
    performance_chart(vehicle)
    labels = _visible_x_labels(figures[-1])
    texts = [t for t, _ in labels]
    assert vehicle.trend_line and texts[-1] == period_short(vehicle.trend_line[-1][0], "monthly")
    assert period_short(vehicle.month, "monthly") in texts
    boxes = [box for _, box in labels]
    assert not any(a.overlaps(b) for a, b in itertools.pairwise(boxes)), texts  # type: ignore[attr-defined]


def test_survey_chart_labels_twenty_waves_sparsely_without_overlap(
        monkeypatch: pytest.MonkeyPatch) -> None:
    m = _measure("Feeling safe after dark", id="feel-safe", theme="perception",
                 source="survey", kind="proportion", polarity="higher_is_better",
                 question="feel_safe")
    quarters = [(2021 + i // 4, i % 4 + 1) for i in range(20)]
    waves = [SurveyWave(f"{y}Q{q}", f"{y}-{3 * q:02d}", 500 + 7 * (i % 5), 1000)
             for i, (y, q) in enumerate(quarters)]
    series = [assess(None, None, w.month, measure=m, survey=waves) for w in waves]
    figures = _drawn_figure(monkeypatch)
    chart = survey_chart(series)
    assert len(_csv_rows(chart)) == 20  # every wave is still drawn and listed
    assert len(chart.points) == 20
    labels = _visible_x_labels(figures[-1])
    texts = [t for t, _ in labels]
    assert 2 <= len(texts) <= 8, texts
    assert texts[-1] == "2025 Q4"  # the latest wave is always labelled
    assert all(re.fullmatch(r"\d{4} Q[1-4]", t) for t in texts), texts
    boxes = [box for _, box in labels]
    assert not any(a.overlaps(b) for a, b in itertools.pairwise(boxes)), texts  # type: ignore[attr-defined]


def test_survey_chart_labels_other_waves_by_short_month(
        survey_waves: list[Assessment], monkeypatch: pytest.MonkeyPatch) -> None:
    figures = _drawn_figure(monkeypatch)
    survey_chart(survey_waves)
    assert [t for t, _ in _visible_x_labels(figures[-1])] == ["Mar 2023", "Mar 2024",
                                                               "Mar 2025"]


# ----------------------------------------------------------------------------- repeats


def test_repeat_chart_never_plots_or_writes_a_suppressed_rate(repeats: Assessment) -> None:
    chart = repeat_rate_chart(repeats)
    hidden = {p.month for p in repeats.history if p.suppressed}
    assert hidden, "the fixture must have months on fewer than 10 cases"
    drawn = dict(chart.points)
    rows = {r["month"]: r["rolling_12_rate_percent"] for r in _csv_rows(chart)}
    for month in hidden & set(rows):
        assert month not in drawn
        assert rows[month] == "[c]"
    assert rows[LAST_MONTH] == "30" and drawn[LAST_MONTH] == "o"
    assert "not shown" in chart.alt and "fewer than 10 cases" in chart.alt
    assert "was 30.0% in March 2025" in chart.alt


def test_repeat_chart_hides_the_current_rate_on_too_few_cases() -> None:
    months = _months()
    num = {m: (1 if i % 3 == 0 else 0) for i, m in enumerate(months)}
    den = {m: (1 if i % 2 == 0 else 0) for i, m in enumerate(months)}
    a = assess(num, None, LAST_MONTH, measure=_repeat_measure(), denominators=den)
    assert a.is_suppressed("rolling_12")
    chart = repeat_rate_chart(a)
    assert LAST_MONTH not in dict(chart.points)
    assert f"{fmt_pct(a.rolling_12)}" not in chart.alt
    assert "for March 2025 is not shown because it rests on fewer than 10 cases" in chart.alt
    assert a.rolling_12 is not None and repr(a.rolling_12) not in chart.csv


# ----------------------------------------------------------------------------- HTML


def test_to_html_is_a_figure_with_alt_caption_and_relative_csv_link(vehicle: Assessment) -> None:
    chart = performance_chart(vehicle)
    out = chart.to_html("data/vehicle-crime-performance.csv")
    m = re.fullmatch(r'<figure class="chart">(<svg .*</svg>)<figcaption>([^<]+)'
                     r'</figcaption></figure>\n<p class="downloads"><a href="([^"]+)">'
                     r'Download the figures \(CSV\)<span class="visually-hidden">: [^<]+</span>'
                     r"</a></p>", out, re.DOTALL)
    assert m is not None, out[:300]
    assert m[1] == chart.svg
    assert m[2] == chart.title
    assert m[3] == "data/vehicle-crime-performance.csv"


@pytest.mark.parametrize("href", ["/etc/x.csv", "https://example.org/x.csv", "file:x.csv",
                                  "C:/x.csv", " "])
def test_to_html_refuses_a_link_that_leaves_the_site(vehicle: Assessment, href: str) -> None:
    with pytest.raises(ValueError, match="relative link"):
        performance_chart(vehicle).to_html(href)


def test_text_from_params_is_escaped_in_the_figure() -> None:
    evil = '<script>alert(1)</script> "quoted"'
    a = assess(VEHICLE, _target(), LAST_MONTH, measure=_measure(evil))
    out = performance_chart(a).to_html("data/x.csv")
    assert "<script>" not in out and '"quoted"' not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot;" in out


# ----------------------------------------------------------------------------- palette


def _srgb_to_linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return r, g, b


# Machado, Oliveira & Fernandes (2009) simulation matrices at severity 1.0, on linear RGB.
CVD = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}
MIN_DELTA_E = 20  # CIE76: clearly different at a glance (2.3 is "just noticeable")


def _lab(linear: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b = (min(1.0, max(0.0, c)) for c in linear)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def _simulate(hex_colour: str,
              matrix: tuple[tuple[float, ...], ...]) -> tuple[float, float, float]:
    lin = [_srgb_to_linear(c) for c in _rgb(hex_colour)]
    r, g, b = (sum(row[i] * lin[i] for i in range(3)) for row in matrix)
    return r, g, b


def test_contrast_ratio_matches_wcag_reference_values() -> None:
    assert palette.contrast_ratio("#000000") == pytest.approx(21.0)
    assert palette.contrast_ratio("#ffffff") == pytest.approx(1.0)
    assert palette.contrast_ratio("#767676") == pytest.approx(4.54, abs=0.01)  # the AA grey
    assert palette.contrast_ratio("#ffffff", "#000000") == pytest.approx(21.0)
    with pytest.raises(ValueError, match="#rrggbb"):
        palette.relative_luminance("#12345")


def test_every_palette_colour_meets_wcag_aa_for_its_use() -> None:
    for swatch in palette.PALETTE:
        ratio = palette.contrast_ratio(swatch.hex)
        if swatch.use is palette.Use.TEXT:
            assert ratio >= palette.TEXT_CONTRAST_AA, swatch
        elif swatch.use is palette.Use.GRAPHIC:
            assert ratio >= palette.GRAPHIC_CONTRAST_AA, swatch
    meaning = {palette.BETTER, palette.WORSE, palette.ON_TARGET, palette.NEUTRAL}
    assert all(palette.contrast_ratio(c) >= palette.TEXT_CONTRAST_AA for c in meaning)


@pytest.mark.parametrize("deficiency", sorted(CVD))
def test_status_colours_stay_apart_under_colour_blindness(deficiency: str) -> None:
    colours = [palette.BETTER, palette.WORSE, palette.ON_TARGET, palette.NEUTRAL]
    labs = [_lab(_simulate(c, CVD[deficiency])) for c in colours]
    for i in range(len(labs)):
        for j in range(i + 1, len(labs)):
            delta = sum((p - q) ** 2 for p, q in zip(labs[i], labs[j], strict=True)) ** 0.5
            assert delta >= MIN_DELTA_E, (deficiency, colours[i], colours[j], delta)


# ----------------------------------------------------------------------------- robustness

_BAD_WORDS = re.compile(r"\b(None|nan|NaN|inf)\b")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(st.one_of(st.none(), st.integers(0, 6), st.integers(60, 90)),
                       min_size=0, max_size=60),
       sensitive=st.booleans())
def test_charts_never_raise_nor_state_none_for_short_gappy_or_zero_series(
        values: list[int | None], sensitive: bool) -> None:
    months = _months()
    series = dict(zip(months[len(months) - len(values):], values, strict=True))
    m = (_measure("MARAC referrals", id="marac-referrals", theme="domestic_abuse",
                  source="domestic_abuse") if sensitive else _measure())
    a = assess(series, _target(), LAST_MONTH, measure=m)
    for chart in (performance_chart(a), control_chart(a), small_multiple([a]),
                  repeat_rate_chart(a), survey_chart(a)):
        _svg_root(chart)
        assert chart.alt and not _BAD_WORDS.search(chart.alt), chart.alt
        if sensitive:  # no count of 1-4 is ever plotted
            small = {p.month for p in a.history if p.value is not None and 0 < p.value < 5}
            assert not small & {month for month, _ in chart.points}


# ----------------------------------------------------------------------------- §9 across months


def test_performance_chart_hides_every_rolling_total_that_adds_up_a_hidden_month() -> None:
    values = dict(VEHICLE)
    values["2024-06"] = 3  # a sub-area month of 1-4
    a = assess(values, _target(), LAST_MONTH, measure=_measure(), sub_area=True)
    chart = performance_chart(a)
    rows = {r["month"]: r for r in _csv_rows(chart)}
    after = [str(m) for m in month_range("2024-07", LAST_MONTH)]  # the nine months since
    assert rows["2024-06"]["monthly_value"] == "<5" and rows["2024-06"]["rolling_12"] == "<5"
    for month in after:
        assert rows[month]["rolling_12"] == "[c]"
        assert rows[month]["monthly_value"] == fmt_number(values[month])  # still shown
        assert month not in dict(chart.points)
    assert rows["2024-05"]["rolling_12"] == fmt_number(
        sum(values[str(m)] for m in month_range("2023-06", "2024-05")))
    assert "2024-05" in dict(chart.points)
    assert "1 month is not shown" in chart.alt
    assert "The rolling 12-month figures of 9 more months are not shown" in chart.alt
    panel = _csv_rows(small_multiple([a]))
    assert {r["month"] for r in panel if r["rolling_12"] == "[c]"} == set(after) & {
        r["month"] for r in panel}


@pytest.mark.parametrize("text", ["Mar 2025", "1,250", "Two lines\nof a legend", "Ågy"])
@pytest.mark.parametrize("size", [8, 10])
def test_shared_text_measurements_lay_out_text_as_matplotlib_does(text: str, size: int) -> None:
    """The chart renderer keeps text and font measurements for the process: a text laid
    out with them has matplotlib's own box, to the hundredth of a point."""
    from matplotlib.backends.backend_svg import RendererSVG
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    from cdrp_lib.charts import svg

    fig = Figure(figsize=(9, 5), dpi=72)
    label = fig.text(0.1, 0.1, text, fontproperties=FontProperties(family=svg.FONT_FAMILY,
                                                                   size=size))
    plain = RendererSVG(648, 360, io.StringIO())  # type: ignore[no-untyped-call]
    for _ in range(2):  # measured, then from what was kept
        shared = svg._svg_renderer(fig, io.StringIO())
        ours, theirs = (label._get_layout(r)[0] for r in (shared, plain))  # type: ignore[attr-defined]
        assert (ours.width, ours.height) == pytest.approx((theirs.width, theirs.height),
                                                          abs=0.01)


def _absolute_points(d: str) -> list[tuple[float, float]]:
    """The points of an SVG path of M/m/L/l/h/v/z commands (a small parser, for the test)."""
    tokens = re.findall(r"[MmLlHhVvZz]|-?(?:\d+\.?\d*|\.\d+)", d)
    points: list[tuple[float, float]] = []
    x = y = sx = sy = 0.0
    command, numbers = "", []
    for token in [*tokens, ""]:
        if token and token not in "MmLlHhVvZz":
            numbers.append(float(token))
            continue
        if command in ("h", "v"):
            for n in numbers:
                x, y = (x + n, y) if command == "h" else (x, y + n)
                points.append((round(x, 6), round(y, 6)))
            numbers = []
        for i in range(0, len(numbers), 2):
            dx, dy = numbers[i], numbers[i + 1]
            relative = command in "ml"
            x, y = (x + dx, y + dy) if relative else (dx, dy)
            if command in "Mm" and i == 0:
                sx, sy = x, y
            points.append((round(x, 6), round(y, 6)))
        numbers = []
        if token in ("Z", "z"):
            x, y = sx, sy
        command = token
    return points


@given(st.lists(st.tuples(st.integers(-99999, 99999), st.sampled_from([0, 5, -12, 99999])
                          | st.integers(-99999, 99999)), min_size=1, max_size=40),
       st.booleans())
def test_relative_paths_put_every_point_where_the_absolute_path_did(
        tenths: list[tuple[int, int]], closed: bool) -> None:
    from cdrp_lib.charts import svg

    def num(n: int) -> str:
        return f"{n / 10:.1f}".rstrip("0").rstrip(".")

    absolute = "M " + " L ".join(f"{num(a)} {num(b)}" for a, b in tenths) + (" z" if closed else "")
    short = svg._relative_polyline(absolute)
    assert short is not None
    assert _absolute_points(short) == _absolute_points(absolute)
    assert svg._relative_polyline("M 0 0 C 1 2 3 4 5 6") is None  # curves keep their form


# ----------------------------------------------------------------------------- speed, same picture


def _every_kind(vehicle: Assessment, rising: Assessment, survey_waves: list[Assessment],
                repeats: Assessment) -> list[Callable[[], Chart]]:
    return [lambda: performance_chart(vehicle), lambda: performance_chart(rising),
            lambda: control_chart(vehicle), lambda: small_multiple([vehicle, repeats, rising]),
            lambda: small_multiple([vehicle]), lambda: survey_chart(survey_waves),
            lambda: repeat_rate_chart(repeats)]


def test_a_chart_drawn_on_a_copy_of_the_template_is_the_chart_drawn_on_a_new_figure(
        vehicle: Assessment, rising: Assessment, survey_waves: list[Assessment],
        repeats: Assessment) -> None:
    """Each figure is unpickled from a template made once, its ticks made beforehand: it
    must draw what a figure made afresh draws, and what one chart draws must not reach the
    next (the template is kept before anything is drawn on it)."""
    from cdrp_lib.charts import svg

    kinds = _every_kind(vehicle, rising, survey_waves, repeats)
    fresh = []
    for make in kinds:
        svg._TEMPLATES.clear()  # each drawn on a figure made for it
        fresh.append(make().svg)
    assert svg._TEMPLATES  # the charts above kept their templates
    for _ in range(2):  # each now drawn on a copy, after every other kind
        assert [make().svg for make in kinds] == fresh


def test_fixing_the_ticks_after_the_layout_draws_the_ticks_matplotlib_chooses(
        vehicle: Assessment, rising: Assessment, survey_waves: list[Assessment],
        repeats: Assessment, monkeypatch: pytest.MonkeyPatch) -> None:
    """_fit fixes each axis's ticks and labels once the plot has its size (the locator
    was asked again at every measurement and draw): the same ticks and labels are drawn."""
    from cdrp_lib.charts import svg

    kinds = _every_kind(vehicle, rising, survey_waves, repeats)
    fixed = [make().svg for make in kinds]
    monkeypatch.setattr(svg, "_fix_ticks", lambda ax: None)
    assert [make().svg for make in kinds] == fixed


def test_warming_up_makes_the_templates_and_changes_no_chart(
        vehicle: Assessment, rising: Assessment, survey_waves: list[Assessment],
        repeats: Assessment) -> None:
    """warm_up (for the batch's kernel zygote) keeps what the first charts would make:
    every small multiple's grid has its template, and the charts are the same."""
    from cdrp_lib import charts
    from cdrp_lib.charts import svg

    kinds = _every_kind(vehicle, rising, survey_waves, repeats)
    svg._TEMPLATES.clear()
    svg._TEXT_METRICS.clear()
    cold = [make().svg for make in kinds]
    svg._TEMPLATES.clear()
    svg._TEXT_METRICS.clear()
    charts.warm_up()
    grids = {(rows, columns) for *_, rows, columns in svg._TEMPLATES}
    assert {(1, 1), (1, 2), (1, 3), (2, 3), (3, 3), (4, 3)} <= grids
    assert [make().svg for make in kinds] == cold
