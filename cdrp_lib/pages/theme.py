"""A theme page and its parts: header, commentary, targets at a glance, one section per
target, monitoring indicators, comparison with similar areas, footer.

Each method returns a :class:`~cdrp_lib.pages.part.Part`; a notebook shows them
one cell at a time, with its own Markdown between them.  Every figure, sentence,
chart and table comes from :mod:`cdrp_lib.charts`, :mod:`cdrp_lib.tables` and
:mod:`cdrp_lib.narrative`, so a part cannot disagree with the PublicAssessment it
shows (methods §12).  Headings: the page's one ``<h1>`` is in the header, each
target is an ``<h2>`` with ``<h3>`` parts below, so headings never skip.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cdrp_lib.pages import fragments as f
from cdrp_lib.pages.page import PageBase
from cdrp_lib.pages.part import Part, join, text_records
from cdrp_lib.stats.disclosure import SENSITIVE_THEMES

if TYPE_CHECKING:
    from cdrp_lib.charts import Chart
    from cdrp_lib.narrative import Sentence
    from cdrp_lib.pages.bulletin import BulletinConfig
    from cdrp_lib.public import PublicAssessment
    from cdrp_lib.tables import Table

SOURCE_SURVEY = "survey"
#: Survey waves listed in the survey table: the last year of quarterly waves (the
#: chart and its CSV hold every wave).
SURVEY_WAVES_IN_TABLE = 4
Figures = list[tuple["Chart | Table", tuple[str, ...]]]


def chart_waves(waves: Sequence[PublicAssessment], latest: PublicAssessment
                ) -> list[PublicAssessment]:
    """The waves a survey chart draws: one PublicAssessment each, the latest one's history cut
    to the same window so no earlier wave is drawn without its interval."""
    series = list(waves) or [latest]
    first = series[0].month
    last = series[-1]
    return [*series[:-1], dataclasses.replace(
        last, history=tuple(p for p in last.history if p.month >= first))]


def _facts(a: PublicAssessment) -> tuple[Sentence, ...]:
    from cdrp_lib.narrative import sentences

    return sentences(a)


class TargetSection:
    """One target of a theme page: heading, rating, headline, baseline and target,
    commentary, performance chart and table, control chart, narrative, caveats."""

    def __init__(self, page: ThemePage, a: PublicAssessment,
                 waves: Sequence[PublicAssessment]) -> None:
        self.page = page
        self.assessment = a
        self.id = f.key(a)
        self._waves = waves
        self._facts = _facts(a)

    def __repr__(self) -> str:
        return f"<TargetSection {self.id}: {self.assessment.target_title or ''}>"

    def _name(self, part: str) -> str:
        return f"{self.id}/{part}"

    def _said(self, *facts: str) -> list[str]:
        return [s.text for s in self._facts if s.fact in facts]

    def _rest(self) -> list[str]:
        from cdrp_lib.narrative import Fact

        return [s.text for s in self._facts if s.fact not in (Fact.BASELINE_CHANGE, Fact.TARGET)]

    @property
    def _source(self) -> str | None:
        return self.page.config.source_of(self.assessment)

    def heading(self) -> Part:
        """``<h2>`` with the outcome code and title, then the measure, lead and data month."""
        a = self.assessment
        title = a.target_title or a.measure_name
        text = f"{a.outcome_code}: {title}" if a.outcome_code else title
        about = [f"Measure: {a.measure_name}"]
        if a.lead_agency:
            about.append(f"Lead: {a.lead_agency}")
        if a.data_to:
            about.append(f"Data to {f.month_label(a.data_to)}")
        html = (f'<h2 id="{f.esc(f.heading_id(a))}">{f.esc(text)}</h2>\n'
                f'<p class="measure-about">{f.esc(". ".join(about))}.</p>')
        return self.page._html(self._name("heading"), html,
                               [{"part": "heading", "text": text, "about": ". ".join(about)}])

    def rating(self) -> Part:
        a = self.assessment
        return self.page._html(self._name("rating"), f.rag_badge(a), [{
            "part": "rating", "rag": a.rag.letter if a.rag else None,
            "not_assessed_reason": a.not_assessed_reason.value if a.not_assessed_reason else None,
            "override_reason": a.rag_override_reason}])

    def headline(self) -> Part:
        """The change from the baseline, in bold."""
        from cdrp_lib.narrative import Fact

        said = self._said(Fact.BASELINE_CHANGE)
        return self.page._html(self._name("headline"), f.paragraph(said, "headline", strong=True),
                               text_records("headline", said))

    def baseline(self) -> Part:
        """The baseline and the target ("The 2007/08 baseline ... The target is ...")."""
        from cdrp_lib.narrative import Fact

        said = self._said(Fact.TARGET)
        return self.page._html(self._name("baseline"), f.paragraph(said, "target"),
                               text_records("baseline", said))

    def commentary(self) -> Part:
        a = self.assessment
        return self.page._commentary(self._name("commentary"),
                                     self.page.config.commentary.for_target(a.target_id or ""),
                                     a.target_title or a.measure_name, level=3)

    def _performance_figures(self, charts_only: bool) -> Figures:
        from cdrp_lib import charts, tables

        a, key = self.assessment, self.id
        if not a.measure:
            return []
        if self._source == SOURCE_SURVEY:
            series = chart_waves(self._waves, a)
            if charts_only:
                return [(charts.survey_chart(series), (key, "survey-chart"))]
            return [(tables.survey_table(series[-SURVEY_WAVES_IN_TABLE:]), (key, "survey-table"))]
        if a.is_proportion and self.page.id in SENSITIVE_THEMES:
            if charts_only:
                return [(charts.repeat_rate_chart(a), (key, "repeat-rate-chart"))]
            return [(tables.performance_table(a), (key, "performance-table")),
                    (tables.repeat_table([a]), (key, "repeat-table"))]
        if charts_only:
            return [(charts.performance_chart(a), (key, "performance-chart"))]
        return [(tables.performance_table(a), (key, "performance-table"))]

    def performance_chart(self) -> Part:
        """Position against the target: the trajectory chart (survey waves with their
        intervals for a survey measure; repeat rates for domestic abuse)."""
        title = "Survey results" if self._source == SOURCE_SURVEY else "Position against the target"
        return self.page._figures(self._name("performance-chart"), f"<h3>{title}</h3>",
                                  lambda: self._performance_figures(charts_only=True))

    def performance_table(self) -> Part:
        return self.page._figures(self._name("performance-table"), "",
                                  lambda: self._performance_figures(charts_only=False))

    def control_chart(self) -> Part:
        """Month by month: the control chart (none for a survey or a measureless target)."""
        from cdrp_lib import charts

        a = self.assessment
        if not a.measure or self._source == SOURCE_SURVEY:
            return self.page._html(self._name("control-chart"), "")
        return self.page._figures(self._name("control-chart"), "<h3>Month by month</h3>",
                                  lambda: [(charts.control_chart(a), (self.id, "control-chart"))])

    def narrative(self) -> Part:
        rest = self._rest()
        if not rest:
            return self.page._html(self._name("narrative"), "")
        heading = "" if not self.assessment.measure else "<h3>Summary of performance</h3>\n"
        return self.page._html(self._name("narrative"),
                               heading + f.paragraph(rest, "narrative"),
                               text_records("narrative", rest))

    def caveats(self) -> Part:
        a = self.assessment
        notes = self.page.caveats_of(a)
        if not notes:
            return self.page._html(self._name("caveats"), "")
        return self.page._html(self._name("caveats"),
                               "<h3>Caveats</h3>\n" + f.bullets(notes, "caveats"),
                               text_records("caveats", notes))

    def parts(self) -> tuple[Part, ...]:
        """Every part of the section in its default order."""
        return (self.heading(), self.commentary(), self.rating(), self.headline(),
                self.baseline(), self.performance_chart(), self.performance_table(),
                self.control_chart(), self.narrative(), self.caveats())

    def _repr_html_(self) -> str | None:
        return join(self.id, self.parts())._repr_html_()


class ThemePage(PageBase):
    """The page of one theme: every target in params order, then the monitoring indicators."""

    def __init__(self, theme: str, config: BulletinConfig, assessments: Sequence[PublicAssessment],
                 waves: Mapping[str, Sequence[PublicAssessment]], output_dir: Path) -> None:
        title = config.theme_title(theme)
        super().__init__(theme, config, output_dir, title, about=title)
        self._assessments = tuple(assessments)
        self._waves = waves
        self._targets = tuple(TargetSection(self, a, waves.get(f.key(a), ()))
                              for a in assessments if a.target_id is not None)
        self._indicators = tuple(a for a in assessments if a.target_id is None)

    def __repr__(self) -> str:
        return (f"<ThemePage {self.id}: {len(self._targets)} targets, "
                f"{len(self._indicators)} monitoring indicators>")

    @property
    def assessments(self) -> tuple[PublicAssessment, ...]:
        return self._assessments

    def caveats_of(self, a: PublicAssessment) -> list[str]:
        out = []
        m = self.config.measures.get(a.measure)
        if m is not None and m.caveat:
            out.append(m.caveat)
        out.extend(self.config.target_notes.get(a.target_id or "", ()))
        return out

    # ---- parts ---------------------------------------------------------------------

    def at_a_glance(self) -> Part:
        """Every target of the theme in one table: baseline, position, status, rating."""
        from cdrp_lib import tables

        targeted = [t.assessment for t in self._targets]
        if not targeted:
            text = ("The partnership has set no targets in this theme." if self._indicators
                    else "No measures of this theme are assessed for this partnership.")
            return self._html("at-a-glance", f"<p>{text}</p>", text_records("at-a-glance", [text]))
        return self._figures("at-a-glance", "", lambda: [(tables.targets_table(
            targeted, caption=f"{self.title}: targets at a glance"), ("targets",))])

    def targets(self) -> tuple[TargetSection, ...]:
        """One section per target, in params order."""
        return self._targets

    def target(self, target_id: str) -> TargetSection:
        for t in self._targets:
            if t.id == target_id:
                return t
        from cdrp_lib.errors import NotFoundError

        raise NotFoundError(f"no target {target_id!r} on the {self.id} page "
                            f"(targets: {', '.join(t.id for t in self._targets) or 'none'})")

    def monitoring(self) -> Part:
        """Measures without a target: small charts of counts; rates and surveys in full."""
        from cdrp_lib.pages.monitoring import monitoring_part

        return monitoring_part(self, self._indicators, self._waves, full=not self._targets)

    def peers(self) -> Part:
        """How the partnership compares with its most similar group, measure by measure."""
        from cdrp_lib.pages.peers import peers_part

        return peers_part(self, self._assessments)

    def parts(self) -> tuple[Part, ...]:
        return (self.header(), self.commentary(), self.at_a_glance(),
                *(p for t in self._targets for p in t.parts()),
                self.monitoring(), self.peers(), self.footer())
