"""Tables: accessible structure, escaping, the narrative's rounding, CSV equal to the page, §9.

Assessments come from :func:`cdrp_lib.assess.assess` on tiny in-memory series.
HTML is parsed back with :mod:`html.parser`, so the assertions are about what a
browser (and a screen reader) would get, not about string fragments.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from cdrp_lib.assess import SurveyWave, assess
from cdrp_lib.assessment import Assessment, AssessmentPart
from cdrp_lib.narrative import narrate_outcome
from cdrp_lib.params import Measure, Target
from cdrp_lib.periods import month_range
from cdrp_lib.stats.enums import NotAssessedReason, PastMonth, PeerPosition, Polarity, Rag
from cdrp_lib.stats.rag import RagResult, outcome_rag
from cdrp_lib.stats.rounding import fmt_number, fmt_pct, fmt_signed_pct
from cdrp_lib.tables import (
    REASON_SHORT,
    ROW_COMPARISON,
    ROW_INCREASE,
    ROW_PAST_MONTH,
    ROW_PEER_DISTANCE,
    ROW_PEER_POSITION,
    ROW_REDUCTION,
    ROW_TREND,
    BulletinMeta,
    OutcomeRow,
    SourceRow,
    Table,
    metadata_block,
    outcome_rows,
    outcome_table,
    performance_table,
    rag_cell,
    repeat_table,
    safe_csv_cell,
    sources_table,
    survey_table,
    targets_table,
)

TARGETS: TypeAdapter[Target] = TypeAdapter(Target)
LAST_MONTH = "2025-03"
EVIL = "<script>alert(1)</script>"
ESCAPED_EVIL = "&lt;script&gt;alert(1)&lt;/script&gt;"


# ----------------------------------------------------------------------------- fixtures


def _series(*blocks: tuple[int, float]) -> dict[str, float]:
    months = [str(m) for m in month_range("2020-04", LAST_MONTH)]
    return dict(zip(months, [v for n, v in blocks for _ in range(n)], strict=True))


def _measure(name: str = "Vehicle crime", **kw: object) -> Measure:
    base: dict[str, object] = {"id": "vehicle-crime", "name": name, "theme": "acquisitive_crime",
                               "source": "police", "kind": "count",
                               "polarity": "lower_is_better"}
    return Measure.model_validate({**base, **kw})


def _target(**kw: object) -> Target:
    base: dict[str, object] = {
        "id": "vehicle-crime", "kind": "reduction", "measure": "vehicle-crime",
        "outcome": "A1", "outcome_title": "Fewer vehicle crimes", "title": "Reduce vehicle crime",
        "theme": "acquisitive_crime", "lead": "Police", "polarity": "lower_is_better",
        "baseline": "2022/23", "strategy": {"start": "2023-04", "end": "2026-03"},
    }
    if "kind" not in kw:
        base["percent"] = 5
    return TARGETS.validate_python({**base, **kw})


# 80 a month through the baseline year, 77 from October 2023, 100 in March 2025:
# above target, above the expected level, a rise over 12 months.
VEHICLE = _series((42, 80), (17, 77), (1, 100))
PEERS = {p: _series((42, round(80 * k)), (17, round(77 * k)), (1, round(90 * k)))
         for p, k in (("b", 1.2), ("c", 0.9), ("d", 1.5), ("e", 1.1))}
POPULATIONS = {"ashcombe": 100_000, "b": 110_000, "c": 90_000, "d": 160_000, "e": 100_000}


def _vehicle(name: str = "Vehicle crime") -> Assessment:
    return assess(VEHICLE, _target(), LAST_MONTH, measure=_measure(name),
                  partnership="ashcombe", partnership_name="Ashcombe", peers=PEERS,
                  populations=POPULATIONS)


@pytest.fixture(scope="module")
def vehicle() -> Assessment:
    return _vehicle()


@pytest.fixture(scope="module")
def met() -> Assessment:
    """A steady fall: the target is already met."""
    falling = {m: 80.0 - 0.4 * i for i, m in enumerate(VEHICLE)}
    return assess(falling, _target(), LAST_MONTH, measure=_measure())


@pytest.fixture(scope="module")
def no_target() -> Assessment:
    return assess(VEHICLE, None, LAST_MONTH, measure=_measure("Robbery", id="robbery"))


@pytest.fixture(scope="module")
def waves() -> list[Assessment]:
    m = _measure("Feeling safe after dark", id="feel-safe", theme="perception",
                 source="survey", kind="proportion", polarity="higher_is_better",
                 question="feel_safe")
    t = _target(id="feel-safe", measure="feel-safe", kind="survey", value=65,
                theme="perception", polarity="higher_is_better")
    data = [SurveyWave("2022/23", "2023-03", 550, 1000),
            SurveyWave("2023/24", "2024-03", 570, 1000),
            SurveyWave("2024/25", "2025-03", 600, 1000)]
    return [assess(None, t, month, measure=m, survey=data) for month in ("2024-03", "2025-03")]


def _repeats(repeats: int, cases: int) -> Assessment:
    """A repeat-rate Assessment whose rolling 12 months hold ``repeats`` of ``cases``."""
    m = _measure("Repeat domestic abuse crime rate", id="da-repeat-rate",
                 theme="domestic_abuse", source="domestic_abuse", kind="proportion")
    months = list(VEHICLE)
    num = {k: 0.0 for k in months}
    den = {k: 0.0 for k in months}
    num[LAST_MONTH], den[LAST_MONTH] = repeats, cases
    return assess(num, None, LAST_MONTH, measure=m, denominators=den)


# ----------------------------------------------------------------------------- parsing


class _TableParser(HTMLParser):
    """Caption, header cells with their scope, and every row's cells as (text, note)."""

    def __init__(self) -> None:
        super().__init__()
        self.caption = ""
        self.heads: list[tuple[str, str | None]] = []
        self.rows: list[list[tuple[str, str]]] = []
        self._where: list[str] = []
        self._cell: list[str] | None = None
        self._note: list[str] | None = None
        self._scope: str | None = None
        self._in_head = False
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        a = dict(attrs)
        if tag == "thead":
            self._in_head = True
        elif tag == "tr" and not self._in_head:
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell, self._note, self._scope = [], None, a.get("scope")
        elif tag == "span" and a.get("class") == "cell-note":
            self._note = []
        self._where.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self._where.pop()
        if tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None:
            text = "".join(self._cell).strip()
            note = "".join(self._note or []).strip()
            if self._in_head:
                self.heads.append((text, self._scope))
            else:
                self.rows[-1].append((text, note))
                if tag == "th":
                    assert self._scope == "row"
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._where and self._where[-1] == "caption":
            self.caption += data
        elif self._note is not None and self._where[-1] == "span":
            self._note.append(data)
        elif self._cell is not None:
            self._cell.append(data)


def _parse(table: Table) -> _TableParser:
    p = _TableParser()
    p.feed(table.html)
    p.close()
    return p


def _cells(table: Table) -> dict[str, tuple[str, str]]:
    """Second column of a two-column table, keyed by the row header."""
    return {row[0][0]: row[1] for row in _parse(table).rows}


# ----------------------------------------------------------------------------- structure


def _all_tables(vehicle: Assessment, met: Assessment, no_target: Assessment,
                waves: list[Assessment]) -> list[Table]:
    return [
        performance_table(vehicle), performance_table(no_target),
        targets_table([vehicle, met, no_target]), survey_table(waves),
        repeat_table([_repeats(3, 22), _repeats(30, 100)]),
        outcome_table("Acquisitive crime", outcome_rows([vehicle, met])),
        sources_table([SourceRow("Police recorded crime", "2025-01", 2)]),
    ]


def test_every_table_has_caption_column_headers_and_row_headers(
        vehicle: Assessment, met: Assessment, no_target: Assessment,
        waves: list[Assessment]) -> None:
    for table in _all_tables(vehicle, met, no_target, waves):
        p = _parse(table)
        assert p.caption == table.caption and p.caption
        assert [h for h, _ in p.heads] == list(table.columns)
        assert all(scope == "col" for _, scope in p.heads)
        assert p.rows and all(len(r) == len(table.columns) for r in p.rows)
        assert p.tags[:3] == ["table", "caption", "thead"]
        assert table.html.count('<th scope="row">') == len(p.rows)


def test_csv_holds_exactly_the_text_shown(vehicle: Assessment, met: Assessment,
                                          no_target: Assessment,
                                          waves: list[Assessment]) -> None:
    for table in _all_tables(vehicle, met, no_target, waves):
        rows = list(csv.DictReader(io.StringIO(table.csv)))
        parsed = _parse(table).rows
        assert len(rows) == len(parsed)
        for row, cells in zip(rows, parsed, strict=True):
            for column, (text, note) in zip(table.columns, cells, strict=True):
                assert row[column] == text
                assert row.get(f"{column} (note)", "") == note


def test_to_html_adds_a_relative_csv_link_beside_the_table(vehicle: Assessment) -> None:
    table = performance_table(vehicle)
    out = table.to_html("data/vehicle-crime.csv")
    assert out.startswith(f'<div class="table-wrap">{table.html}</div>')
    assert '<a href="data/vehicle-crime.csv">Download the figures (CSV)' in out
    with pytest.raises(ValueError, match="relative link"):
        table.to_html("https://example.org/x.csv")


# ----------------------------------------------------------------------------- performance


def test_performance_table_prints_the_assessments_figures_as_displayed(
        vehicle: Assessment) -> None:
    cells = _cells(performance_table(vehicle))
    assert list(cells) == [ROW_REDUCTION, ROW_TREND, ROW_PAST_MONTH, ROW_COMPARISON,
                           ROW_PEER_DISTANCE, ROW_PEER_POSITION]
    assert vehicle.reduction_required_pct is not None and vehicle.change_12m_pct is not None
    assert cells[ROW_REDUCTION] == (fmt_pct(vehicle.reduction_required_pct), "")
    assert cells[ROW_TREND][0] == ("Yes" if vehicle.trend_sufficient else "No")
    assert vehicle.past_month is PastMonth.ABOVE
    assert cells[ROW_PAST_MONTH][0] == "Above Expected Level"
    assert cells[ROW_COMPARISON][0] == fmt_signed_pct(vehicle.change_12m_pct, 1) == "+0.5%"
    assert vehicle.peer_distance_pct is not None and vehicle.peer_position is not None
    assert cells[ROW_PEER_DISTANCE][0] == fmt_signed_pct(vehicle.peer_distance_pct, 1)
    assert cells[ROW_PEER_POSITION][0] == vehicle.peer_position.words


def test_performance_table_agrees_with_the_narrative(vehicle: Assessment) -> None:
    """The 12-month change and the past-month expected range, as the narrative prints them."""
    cells = _cells(performance_table(vehicle))
    story = " ".join(vehicle.narrative)
    change = re.search(r"totalled ([\d,]+) crimes, ([\d,]+) \(([\d.]+)%\) (fewer|more)", story)
    assert change is not None
    text, note = cells[ROW_COMPARISON]
    sign = "-" if change[4] == "fewer" else "+"
    assert text == f"{sign}{change[3]}%"
    assert note == f"{change[2]} {change[4]} crimes"
    sentence = next(s for s in vehicle.narrative if "expected level" in s)
    value = re.search(r"([\d,]+) crimes", sentence)
    expected = re.search(r"\(expected ([\d,]+) to ([\d,]+)\)", sentence)
    assert value is not None and expected is not None
    assert cells[ROW_PAST_MONTH][1] == (f"{value[1]} crimes in March 2025; "
                                        f"expected {expected[1]} to {expected[2]}")
    peers = re.search(r"rate of ([\d.]+) per 1,000 residents is (.+?) the most similar group "
                      r"average of (\d+(?:\.\d+)?)", story)
    assert peers is not None
    assert cells[ROW_PEER_DISTANCE][1] == (f"{peers[1]} per 1,000 residents against {peers[3]}")
    assert vehicle.peer_position is PeerPosition.IN_LINE and peers[2] == "in line with"


def test_words_always_present_and_classes_follow_polarity(vehicle: Assessment) -> None:
    html = performance_table(vehicle).html
    assert '<td class="status-bad">Above Expected Level' in html
    rising = dataclasses.replace(vehicle, polarity=Polarity.HIGHER_IS_BETTER)
    flipped = performance_table(rising)
    assert '<td class="status-good">Above Expected Level' in flipped.html
    assert ROW_INCREASE in _cells(flipped)
    assert f'<td class="status-{"good" if vehicle.trend_sufficient else "bad"}">' \
           f'{"Yes" if vehicle.trend_sufficient else "No"}' in html


def test_target_met_shows_na(met: Assessment) -> None:
    assert met.target_achieved
    cells = _cells(performance_table(met))
    assert cells[ROW_REDUCTION] == ("N/A", "target met")


def test_not_assessed_parts_show_a_dash_with_the_short_reason(no_target: Assessment) -> None:
    cells = _cells(performance_table(no_target))
    assert cells[ROW_REDUCTION] == ("–", "no target set")
    assert cells[ROW_TREND] == ("–", "no target set")
    assert cells[ROW_PEER_POSITION] == ("–", "no most similar group set")
    assert '<td class="not-assessed">–' in performance_table(no_target).html


def test_every_reason_has_a_short_text() -> None:
    assert set(REASON_SHORT) == set(NotAssessedReason)
    assert all(text and text == text.lower() for text in REASON_SHORT.values())


def test_n_a_with_the_absolute_change_when_the_previous_year_was_zero(
        vehicle: Assessment) -> None:
    a = dataclasses.replace(vehicle, change_12m=7.0, change_12m_pct=None)
    text, note = _cells(performance_table(a))[ROW_COMPARISON]
    assert (text, note) == ("n/a", "7 more crimes; none in the previous 12 months")


def test_a_change_of_one_counts_one_crime(vehicle: Assessment) -> None:
    """"1 fewer crime", not "1 fewer crimes" (seen on a demo page's 12-month change)."""
    a = dataclasses.replace(vehicle, change_12m=-1.0, change_12m_pct=-0.3)
    assert _cells(performance_table(a))[ROW_COMPARISON][1].startswith("1 fewer crime")
    assert "crimes" not in _cells(performance_table(a))[ROW_COMPARISON][1]
    a = dataclasses.replace(vehicle, change_12m=1.0, change_12m_pct=None)
    assert _cells(performance_table(a))[ROW_COMPARISON] == (
        "n/a", "1 more crime; none in the previous 12 months")


# ----------------------------------------------------------------------------- escaping


def test_text_from_params_and_data_is_escaped() -> None:
    a = _vehicle(EVIL)
    a = dataclasses.replace(a, target_text=EVIL, baseline_label=EVIL, rag_override_reason=EVIL,
                            rag=Rag.RED)
    rendered = [performance_table(a).html, targets_table([a]).html,
                outcome_table(EVIL, [OutcomeRow(EVIL, EVIL, EVIL, Rag.GREEN, None, EVIL)]).html,
                sources_table([SourceRow(EVIL, "2025-01", 2, EVIL)]).html,
                rag_cell(None, EVIL), rag_cell(Rag.AMBER, None, EVIL),
                metadata_block(BulletinMeta(EVIL, EVIL, EVIL, EVIL, EVIL, EVIL, EVIL, EVIL)),
                performance_table(a).to_html("data/x.csv")]
    for out in rendered:
        assert "<script>" not in out
        assert ESCAPED_EVIL in out
    assert EVIL in targets_table([a]).csv  # the CSV is data, not markup: kept as written


@pytest.mark.parametrize(("text", "written"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("@SUM(A1)", "'@SUM(A1)"),
    ("+cmd", "'+cmd"), ("-4.4%", "-4.4%"), ("+0.5%", "+0.5%"), ("-1,650", "-1,650"),
    ("Vehicle crime", "Vehicle crime"),
])
def test_csv_cells_cannot_run_as_spreadsheet_formulas(text: str, written: str) -> None:
    assert safe_csv_cell(text) == written
    table = sources_table([SourceRow(text, None, 1)])
    assert list(csv.reader(io.StringIO(table.csv)))[1][0] == written


# ----------------------------------------------------------------------------- RAG


def test_rag_cell_is_letter_and_word_with_its_class() -> None:
    assert rag_cell(Rag.GREEN) == '<td class="rag-G">G Green</td>'
    assert rag_cell(Rag.AMBER) == '<td class="rag-A">A Amber</td>'
    assert rag_cell(Rag.RED) == '<td class="rag-R">R Red</td>'


def test_rag_cell_not_assessed_is_a_grey_dash_with_the_reason() -> None:
    out = rag_cell(None, NotAssessedReason.TARGET_NOT_IN_FORCE)
    assert out == ('<td class="rag-none">–<br><span class="cell-note">Not assessed: target '
                   "not yet in force</span></td>")


def test_rag_override_prints_its_reason_beside_the_rating() -> None:
    out = rag_cell(Rag.AMBER, None, "recording change in April")
    assert out.startswith('<td class="rag-A">A Amber<br>')
    assert "recording change in April" in out


# ----------------------------------------------------------------------------- summary tables


def test_outcome_rows_agree_with_narrative_and_outcome_rating(vehicle: Assessment,
                                                              met: Assessment) -> None:
    rows = outcome_rows([vehicle, met])
    assert len(rows) == 1
    row = rows[0]
    assert row.code == "A1" and row.title == "Fewer vehicle crimes"
    assert row.rag == outcome_rag([RagResult(vehicle.rag), RagResult(met.rag)]).rating
    assert row.rag is not None
    # One measure green, one amber: the mean (1.5) is on the G/A boundary, so two letters
    # (docs/assumptions.md, Ratings), and the paragraph's last sentence says so.
    assert {vehicle.rag, met.rag} == {Rag.GREEN, Rag.AMBER}
    assert row.split == (Rag.GREEN, Rag.AMBER)
    single = narrate_outcome([vehicle, met])
    assert single.endswith("The outcome is rated Green (G).")
    assert row.narrative == single.removesuffix("The outcome is rated Green (G).") + (
        "The outcome is rated Green and Amber (G/A): its measures are split evenly between them.")
    table = outcome_table("Acquisitive crime", rows)
    assert table.caption == "Acquisitive crime: outcomes and ratings"
    cell = table.cell("A1: Fewer vehicle crimes", "RAG")
    assert cell.text == "G/A Green/Amber" and cell.css == "rag-GA"
    alone = outcome_rows([vehicle])[0]
    assert alone.split is None and alone.narrative == narrate_outcome([vehicle])


def test_targets_table_lists_target_baseline_current_status_rag(
        vehicle: Assessment, no_target: Assessment) -> None:
    table = targets_table([vehicle, no_target])
    assert vehicle.target_text and vehicle.baseline_value and vehicle.rolling_12
    assert table.cell("Vehicle crime", "Target").text == vehicle.target_text
    assert table.cell("Vehicle crime", "Baseline").plain == \
        f"{fmt_number(vehicle.baseline_value)} (2022/23)"
    assert table.cell("Vehicle crime", "Current position").text == fmt_number(vehicle.rolling_12)
    assert table.cell("Vehicle crime", "Status").text == "Above target"
    assert vehicle.rag is not None
    assert table.cell("Vehicle crime", "RAG").text == vehicle.rag.label
    assert table.cell("Robbery", "Target").plain == "– (no target set)"
    assert table.cell("Robbery", "RAG").plain == "– (Not assessed: no target set)"


def test_a_target_titled_as_its_measure_is_named_once(vehicle: Assessment) -> None:
    table = targets_table([vehicle])
    assert vehicle.target_title and vehicle.target_title != vehicle.measure_name
    assert table.rows[0][0].note == vehicle.target_title
    same = dataclasses.replace(vehicle, target_title=vehicle.measure_name)
    assert targets_table([same]).rows[0][0].note == ""


def _survey_at(value: int, now: int) -> Assessment:
    m = _measure("Feeling safe after dark", id="feel-safe", theme="perception",
                 source="survey", kind="proportion", polarity="higher_is_better",
                 question="feel_safe")
    t = _target(id="feel-safe", measure="feel-safe", kind="survey", value=value,
                theme="perception", polarity="higher_is_better")
    data = [SurveyWave("2022/23", "2023-03", 550, 1000),
            SurveyWave("2024/25", "2025-03", now, 1000)]
    return assess(None, t, LAST_MONTH, measure=m, survey=data)


@pytest.mark.parametrize(("value", "now", "status", "css", "rag"), [
    (58, 600, "Target met", "status-good", Rag.GREEN),
    (62, 600, "Not yet met (within the margin of error)", "status-neutral", Rag.AMBER),
    (65, 560, "Not met (significantly short)", "status-bad", Rag.RED),
])
def test_survey_status_is_the_wave_against_the_target_and_its_interval(
        value: int, now: int, status: str, css: str, rag: Rag) -> None:
    a = _survey_at(value, now)
    table = targets_table([a])
    assert table.cell("Feeling safe after dark", "Status").plain == status
    assert table.cell("Feeling safe after dark", "Status").css == css
    assert table.cell("Feeling safe after dark", "RAG").text == rag.label
    assert table.cell("Feeling safe after dark", "Current position").plain == \
        f"{fmt_pct(now / 10)} (2024/25)"


def test_parts_that_do_not_apply_show_a_dash_and_not_applicable() -> None:
    rate = _repeats(30, 100)
    cell = performance_table(rate).cell(ROW_PAST_MONTH, "Assessment")
    assert cell.plain == "– (not applicable)" and cell.css == "not-assessed"
    survey = _survey_at(65, 600)
    # a survey's status never says "not applicable" when the survey part says why
    empty = dataclasses.replace(survey, survey_percent=None, survey_ci_low=None,
                                survey_ci_high=None, target_achieved=None, reasons={
                                    **survey.reasons,
                                    AssessmentPart.SURVEY: NotAssessedReason.DENOMINATOR_TOO_SMALL})
    assert targets_table([empty]).cell("Feeling safe after dark", "Status").plain == \
        "– (too few cases)"
    assert targets_table([empty]).cell("Feeling safe after dark", "Current position").plain \
        == "– (too few cases)"


def test_survey_table_matches_the_narrative(waves: list[Assessment]) -> None:
    table = survey_table(list(reversed(waves)))
    assert table.caption == "Survey results: Feeling safe after dark"
    assert [r[0].text for r in table.rows] == ["2023/24", "2024/25"]
    latest = waves[-1]
    story = " ".join(latest.narrative)
    m = re.search(r": ([\d.]+%) \(95% CI ([\d.]+%) to ([\d.]+%)\) in the 2024/25 survey, "
                  r"(a significant increase|no significant change)", story)
    assert m is not None
    assert table.cell("2024/25", "Percentage").text == m[1]
    assert table.cell("2024/25", "95% confidence interval").text == f"{m[2]} to {m[3]}"
    assert table.cell("2024/25", "Significance").text == "Significant increase"
    assert table.cell("2024/25", "Significance").css == "status-good"  # higher is better
    assert table.cell("2024/25", "Change from baseline (percentage points)").plain == \
        "+5.0 (baseline 2022/23 55.0%)"
    assert table.cell("2024/25", "Effective sample size").text == "1,000"
    assert table.cell("2023/24", "Significance").text == "No significant change"


def test_repeat_table_applies_primary_and_secondary_suppression() -> None:
    """3 repeats of 22 cases (the §9 ward example): "<5", total shown, rate withheld."""
    small, large, tiny = _repeats(3, 22), _repeats(30, 100), _repeats(6, 8)
    table = repeat_table([small, large, tiny])
    rows = [[c.text for c in r] for r in table.rows]
    assert rows[0][2:] == ["<5", "22", "[c]"]
    assert large.rolling_12 is not None
    assert rows[1][2:] == ["30", "100", fmt_pct(large.rolling_12)] == ["30", "100", "30.0%"]
    # 6 of 8: the 2 non-repeats are under 5, so the 6 is withheld too; no rate on 8 cases
    assert rows[2][2:] == ["[c]", "8", "[c]"]
    assert "<5" in table.caption and "[c]" in table.caption


def test_sources_table_gives_the_latest_month_and_lag() -> None:
    table = sources_table([SourceRow("Police recorded crime", "2025-01", 2),
                           SourceRow("Residents' survey", None, 1)])
    assert [[c.plain for c in r] for r in table.rows] == [
        ["Police recorded crime", "January 2025", "2 months"],
        ["Residents' survey", "– (no data yet)", "1 month"],
    ]


def test_metadata_block_lists_every_field() -> None:
    out = metadata_block(BulletinMeta(
        title="Performance Improvement Bulletin", partnership="Ashcombe", period="2025-03",
        data_to="2025-01", produced_on="2025-04-02", status="Final",
        security_marking="OFFICIAL", organisation="Analysis Unit", version="9.9",
        synthetic=True))
    pairs = re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", out)
    assert out.startswith('<dl class="metadata">') and out.endswith("</dl>")
    assert dict(pairs) == {
        "Title": "Performance Improvement Bulletin", "Partnership": "Ashcombe",
        "Period": "March 2025", "Data to": "January 2025", "Produced on": "2025-04-02",
        "Produced by": "Analysis Unit", "Software": "cdrp_lib 9.9", "Status": "Final",
        "Security marking": "OFFICIAL",
        "Data": "SYNTHETIC: demonstration data, not real crime figures",
    }


# ----------------------------------------------------------------------------- robustness

_MONTHS = list(VEHICLE)
_BAD_WORDS = re.compile(r"\b(None|nan|NaN|inf)\b")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(st.one_of(st.none(), st.integers(0, 6), st.integers(60, 90)),
                       min_size=0, max_size=len(_MONTHS)),
       higher=st.booleans(), with_target=st.booleans())
def test_tables_never_raise_nor_print_none_for_short_gappy_or_zero_series(
        values: list[int | None], higher: bool, with_target: bool) -> None:
    series = dict(zip(_MONTHS[len(_MONTHS) - len(values):], values, strict=True))
    polarity = "higher_is_better" if higher else "lower_is_better"
    target = _target(polarity=polarity) if with_target else None
    a = assess(series, target, LAST_MONTH, measure=_measure(polarity=polarity))
    tables = [performance_table(a), targets_table([a]), repeat_table([a]), survey_table([a]),
              outcome_table("Theme", outcome_rows([a]))]
    for table in tables:
        assert table.caption and "<caption>" in table.html
        for row in table.rows:
            for cell in row:
                assert cell.text, (table.caption, row)
                assert not _BAD_WORDS.search(cell.plain), cell
