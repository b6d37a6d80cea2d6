"""Monitoring indicators: measures with no target, shown for context and never rated.

Counts get a small chart each (one figure of small multiples) and a line on
their 12-month change; rates and survey results get their own chart and table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from cdrp_lib.pages import fragments as f
from cdrp_lib.pages.part import Download, Part

if TYPE_CHECKING:
    from cdrp_lib.pages.page import PageBase
    from cdrp_lib.public import PublicAssessment

SOURCE_SURVEY = "survey"
INTRO = ("<p>These measures have no target. They are shown for context and are not "
         "rated.</p>")


FULL_INTRO = ("<p>The partnership has set no targets in this theme, so each measure is shown "
              "in full: its rolling 12-month figure with the fitted trend and its projection, "
              "the last month against its expected range on a control chart, and the change "
              "on the previous 12 months. None is rated.</p>")


def monitoring_part(page: PageBase, indicators: Sequence[PublicAssessment],
                    waves: Mapping[str, Sequence[PublicAssessment]], full: bool = False) -> Part:
    """The "Monitoring indicators" section of a page (nothing when it has none).

    ``full`` (a theme with no targets, as every theme of a partnership without params):
    each count gets its own section with the performance chart, the control chart and
    its sentences, instead of one small panel, so a bulletin is useful with no params.
    """
    return page._part("monitoring", lambda: _make(page, indicators, waves, full))


def _make(page: PageBase, indicators: Sequence[PublicAssessment],
          waves: Mapping[str, Sequence[PublicAssessment]], full: bool = False) -> Part:
    from cdrp_lib import charts, tables
    from cdrp_lib.narrative import Fact, past_month_in_range, rolling_too_short, sentences
    from cdrp_lib.pages.theme import SURVEY_WAVES_IN_TABLE, chart_waves

    if not indicators:
        return Part("monitoring", "", output_dir=page.output_dir)
    blocks = ['<h2 id="monitoring-indicators">Monitoring indicators</h2>', INTRO]
    downloads: list[Download] = []
    records: list[dict[str, Any]] = []

    def figure(item: Any, *stem: str) -> None:
        block, download = page._figure_html(item, *stem)
        blocks.append(block)
        downloads.append(download)

    source = page.config.source_of
    counts = [a for a in indicators if not a.is_proportion and source(a) != SOURCE_SURVEY]
    others = [a for a in indicators if a not in counts]
    if counts and full:
        blocks[1] = FULL_INTRO
        for a in counts:
            key = f.key(a)
            blocks.append(f'<h3 id="{f.esc(f.heading_id(a))}">{f.esc(a.measure_name)}</h3>')
            too_short = rolling_too_short(a)
            if too_short is None:
                figure(charts.performance_chart(a), key, "performance-chart")
            else:
                blocks.append(f.paragraph([too_short], "narrative"))
                records.append({"part": "monitoring", "text": too_short})
            if a.spc_points:
                figure(charts.control_chart(a), key, "control-chart")
            said = [s.text for s in sentences(a) if s.fact in (
                Fact.COMPARISON, Fact.PAST_MONTH, Fact.PROJECTION, Fact.PEERS)]
            in_range = past_month_in_range(a)
            if in_range:
                said.insert(1 if said and a.change_12m is not None else 0, in_range)
            if not said and a.not_assessed_reason is not None:
                said = [a.not_assessed_reason.sentence]
            blocks.append(f.paragraph(said, "narrative"))
            records.extend({"part": "monitoring", "text": t} for t in said)
            m = page.config.measures.get(a.measure)
            if m is not None and m.caveat:
                blocks.append(f.bullets([m.caveat], "caveats"))
    elif counts:
        figure(charts.small_multiple(counts), "monitoring", "small-multiples")
        lines = []
        for a in counts:
            said = [s.text for s in sentences(a) if s.fact is Fact.COMPARISON]
            if not said and a.not_assessed_reason is not None and a.rolling_12 is None:
                said = [f"{a.measure_name}: {a.not_assessed_reason.sentence}"]
            lines.extend(said)
        if lines:
            blocks.append(f.bullets(lines, "indicator-notes"))
            records.extend({"part": "monitoring", "text": t} for t in lines)
    for a in others:
        key = f.key(a)
        blocks.append(f'<h3 id="{f.esc(f.heading_id(a))}">{f.esc(a.measure_name)}</h3>')
        if source(a) == SOURCE_SURVEY:
            series = chart_waves(waves.get(key, ()), a)
            figure(charts.survey_chart(series), key, "survey-chart")
            figure(tables.survey_table(series[-SURVEY_WAVES_IN_TABLE:]), key, "survey-table")
        else:
            figure(charts.repeat_rate_chart(a), key, "repeat-rate-chart")
            figure(tables.repeat_table([a]), key, "repeat-table")
        said = [s.text for s in sentences(a) if s.fact in (Fact.COMPARISON, Fact.SURVEY,
                                                            Fact.PAST_MONTH)]
        blocks.append(f.paragraph(said, "narrative"))
        records.extend({"part": "monitoring", "text": t} for t in said)
        m = page.config.measures.get(a.measure)
        if m is not None and m.caveat:
            blocks.append(f.bullets([m.caveat], "caveats"))
    return Part("monitoring", "\n".join(b for b in blocks if b), tuple(downloads),
                tuple(records), page.output_dir)
