"""The front page and its parts: header, introduction and rating counts, executive
summary by theme, all targets, monitoring indicators, data sources, caveats, metadata.

The section headings and their fixed prose are the summary notebook's own
Markdown; the parts here are what depends on the data and params.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cdrp_lib.pages import fragments as f
from cdrp_lib.pages.page import PageBase
from cdrp_lib.pages.part import Part, text_records

if TYPE_CHECKING:
    from cdrp_lib.pages.bulletin import BulletinConfig
    from cdrp_lib.params import BulletinParams, Measure, OutcomeParams, ThemeParams
    from cdrp_lib.public import PublicAssessment
    from cdrp_lib.tables import OutcomeRow, SourceRow

SUMMARY = "summary"
SOURCE_POLICE = "police"
#: Heading of the executive-summary table for measures whose theme is the summary itself.
CROSS_CUTTING_TITLE = "Cross-cutting outcomes"
RATING_KEY = (
    "<p>Ratings are shown as a letter and a word: <strong>G Green</strong> the target "
    "is met, or the position is on or better than its trajectory and the long-term "
    "trend is enough to meet it; <strong>A Amber</strong> one of those two is not; "
    "<strong>R Red</strong> neither is; <strong>\u2013 Not assessed</strong> no "
    "rating can be given yet, with the reason.</p>")


def latest_by_source(measures: Mapping[str, Measure], assessments: Sequence[PublicAssessment]
                     ) -> dict[str, str]:
    """The latest month each source gave this bulletin: its measures' ``data_to`` (§13).

    A source with no measure assessed on data (all "source late") is absent: the
    partnership has no data from it, whatever other partnerships in the store have.
    """
    out: dict[str, str] = {}
    for a in assessments:
        m = measures.get(a.measure)
        if m is not None and a.data_to is not None:
            out[m.source] = max(out.get(m.source, a.data_to), a.data_to)
    return out


def source_rows(bulletin: BulletinParams, latest: Mapping[str, str],
                used: Collection[str] | None = None) -> tuple[SourceRow, ...]:
    """Each source of bulletin.yaml with the latest month the bulletin used and its lag.

    ``used``: the sources of this bulletin's measures (its targets', and those with data);
    bulletin.yaml may list more (a partner agency another partnership's measures read),
    which this bulletin does not show.
    """
    from cdrp_lib.tables import SourceRow

    rows = []
    for source, about in bulletin.sources.items():
        if used is not None and source not in used:
            continue
        note = f"Licence: {about.licence}" if about.licence else ""
        if about.url:
            note += ("; " if note else "") + f"from {about.url}"
        rows.append(SourceRow(about.name, latest.get(source), about.lag_months, note))
    return tuple(rows)


def rating_counts(targeted: Sequence[PublicAssessment]) -> str:
    """``Of the 11 targets, 7 G Green, 0 A Amber and 2 R Red; 2 not assessed.``"""
    from cdrp_lib.stats.enums import Rag

    n = len(targeted)
    g, a_, r = (f"{sum(a.rag is rag for a in targeted)} {rag.label}" for rag in Rag)
    unrated = sum(a.rag is None for a in targeted)
    return (f"Of the {n} target{'s' if n != 1 else ''}, {g}, {a_} and {r}; "
            f"{unrated} not assessed.")


def outcome_theme(code: str, outcomes: Mapping[str, OutcomeParams],
                  members: Mapping[str, Sequence[PublicAssessment]]) -> str | None:
    """The theme whose table an outcome sits in: its own `theme`, else its first target's,
    else (assessed as another) the other outcome's; None when nothing places it."""
    o = outcomes.get(code)
    if o is not None and o.theme is not None:
        return o.theme
    if members.get(code):
        return members[code][0].theme
    if o is not None and o.same_as is not None and o.same_as != code:
        return outcome_theme(o.same_as, {k: v for k, v in outcomes.items() if k != code},
                             members)
    return None


def outcome_groups(themes: Sequence[ThemeParams], outcomes: Mapping[str, OutcomeParams],
                   targeted: Sequence[PublicAssessment]
                   ) -> list[tuple[str, tuple[OutcomeRow, ...]]]:
    """The executive summary as the model bulletin lays it out: per theme (page order), its
    outcomes in params order (codes only targets name after them), each with its measures'
    paragraph and rating; an outcome assessed as another says so with the other's rating
    ("Performance assessment is the same as V1c (see above)"); an outcome of the plan placed
    in a theme with no target yet says that.  Targets without an outcome code are left out.
    """
    from cdrp_lib import tables

    members: dict[str, list[PublicAssessment]] = {}
    for a in targeted:
        if a.outcome_code:
            members.setdefault(a.outcome_code, []).append(a)
    codes = [*outcomes, *(c for c in members if c not in outcomes)]
    placed = {c: outcome_theme(c, outcomes, members) for c in codes}
    own: dict[str, OutcomeRow] = {}
    for c in codes:
        title = outcomes[c].title if c in outcomes else next(
            (a.outcome_title for a in members.get(c, ()) if a.outcome_title), "") or ""
        if members.get(c):
            own[c] = tables.outcome_row(c, title, members[c])
        elif c in outcomes and outcomes[c].same_as is None:
            own[c] = tables.unset_row(c, title)
    out: list[tuple[str, tuple[OutcomeRow, ...]]] = []
    done: set[str] = set()
    for theme in themes:
        rows: list[OutcomeRow] = []
        for c in codes:
            if placed[c] != theme.id:
                continue
            other = outcomes[c].same_as if c in outcomes and not members.get(c) else None
            if other is not None and other in own:
                rows.append(tables.shared_row(c, outcomes[c].title, own[other], other in done))
            elif c in own:
                rows.append(own[c])
            done.add(c)
        out.append((theme.id, tuple(rows)))
    return out


class SummaryPage(PageBase):
    """The bulletin's front page."""

    def __init__(self, config: BulletinConfig, assessments: Sequence[PublicAssessment],
                 output_dir: Path) -> None:
        super().__init__(SUMMARY, config, output_dir, config.bulletin.title,
                         about="this month's bulletin")
        self._all = tuple(assessments)
        self._targeted = tuple(a for a in assessments if a.target_id is not None)
        # The front page's own measures, and those whose theme is no page of this bulletin
        # (a partnership with its plan's own themes): nothing assessed goes unshown.
        pages = {t.id for t in config.themes if t.id != SUMMARY}
        self._indicators = tuple(a for a in assessments
                                 if a.target_id is None and a.theme not in pages)
        self._latest = latest_by_source(config.measures, assessments)

    def __repr__(self) -> str:
        return f"<SummaryPage: {len(self._targeted)} targets>"

    @property
    def assessments(self) -> tuple[PublicAssessment, ...]:
        """The targets and the front page's own indicators (what figures.json records)."""
        return (*self._targeted, *self._indicators)

    @property
    def data_to(self) -> str | None:
        """The latest police month the bulletin used."""
        return self._latest.get(SOURCE_POLICE)

    def introduction(self) -> Part:
        """What the bulletin covers, the rating counts and how to read a rating."""
        c = self.config
        police = (f"using police recorded crime to {f.month_label(self.data_to)}" if self.data_to
                  else "with no police recorded crime available for the month yet")
        text = (f"Performance against the partnership's targets for {f.month_label(c.month)}, "
                f"{police}. Each theme has its own page with the charts and tables behind "
                "these ratings.")
        blocks = [f"<p>{f.esc(text)}</p>"]
        said = [text]
        if self._targeted:
            counts = rating_counts(self._targeted)
            blocks.append(f'<p class="rating-counts"><strong>{f.esc(counts)}</strong></p>')
            said.append(counts)
        blocks.append(RATING_KEY)
        return self._html("introduction", "\n".join(blocks), text_records("introduction", said))

    def movements(self) -> Part:
        """What changed since last month: each target's rating now and last month, the
        targets whose rating changed first (:mod:`cdrp_lib.pages.movements`)."""
        from cdrp_lib import tables
        from cdrp_lib.pages import movements as mv

        heading = '<h2 id="what-changed">What changed since last month</h2>'
        if not self._targeted:
            return self._html("movements", "")
        rows = mv.movements(self._targeted, self._last_month() or {})
        intro = mv.introduction(rows, self.config.month)
        titles: dict[str, str] = {t.id: t.title for t in self.config.themes}
        titles[SUMMARY] = CROSS_CUTTING_TITLE
        table = tables.movements_table(mv.table_rows(rows, titles),
                                       mv.previous_month(self.config.month))
        return self._figures("movements", f"{heading}\n<p>{f.esc(intro)}</p>",
                             lambda: [(table, ("movements",))])

    def executive_summary(self) -> Part:
        """One table per theme: each outcome with its narrative and rating.

        With the partnership's `outcomes:` the rows are :func:`outcome_groups` (by theme,
        then outcome in params order, shared assessments and outcomes with no target
        included); without, each theme's targets grouped by their outcome codes.
        """
        from cdrp_lib import tables

        if self.config.outcomes:
            grouped = outcome_groups(self.config.themes, self.config.outcomes, self._targeted)
        else:
            grouped = [(t.id, tables.outcome_rows([a for a in self._targeted
                                                   if a.theme == t.id]))
                       for t in self.config.themes]
        titles = {t.id: t.title for t in self.config.themes}
        shown = []
        for theme, rows in grouped:
            if rows:
                heading = CROSS_CUTTING_TITLE if theme == SUMMARY else titles[theme]
                shown.append((tables.outcome_table(heading, rows), (theme, "outcomes")))
        if not shown:
            text = "The partnership has set no targets, so there is nothing to rate."
            return self._html("executive-summary", f"<p>{text}</p>",
                              text_records("executive-summary", [text]))
        return self._figures("executive-summary", "", lambda: shown)

    def all_targets(self) -> Part:
        from cdrp_lib import tables

        if not self._targeted:
            text = "No targets are set in this partnership's params."
            return self._html("all-targets", f"<p>{text}</p>", text_records("all-targets", [text]))
        return self._figures("all-targets", "", lambda: [(tables.targets_table(
            self._targeted, caption="All targets: baseline, current position, status and "
            "rating"), ("targets",))])

    def monitoring(self) -> Part:
        """The front page's own measures without a target (all crime, where none is set), and
        those of themes the bulletin has no page for."""
        from cdrp_lib.pages.monitoring import monitoring_part

        return monitoring_part(self, self._indicators, {})

    def sources(self) -> Part:
        """Each data source with the latest month this bulletin used and its usual lag."""
        from cdrp_lib import tables

        measures = self.config.measures
        rows = source_rows(self.config.bulletin, self._latest,
                           {measures[a.measure].source for a in self._all
                            if a.measure in measures})
        return self._figures("sources", "", lambda: [(tables.sources_table(rows), ("sources",))])

    def caveats_list(self) -> list[str]:
        c = self.config
        out: list[str] = []
        if c.synthetic:
            out.append("SYNTHETIC DATA: this bulletin is built from made-up demonstration data "
                       "and describes no real place, person or crime.")
        seen: set[str] = set()
        for a in self._all:
            m = c.measures.get(a.measure)
            if m is not None and m.caveat and m.id not in seen:
                seen.add(m.id)
                out.append(f"{m.name}: {m.caveat}")
        for a in self._all:
            for note in c.target_notes.get(a.target_id or "", ()):
                text = f"{a.target_title or a.measure_name}: {note}"
                if text not in out:
                    out.append(text)
            if a.rag_override_reason:
                out.append(f"{a.target_title or a.measure_name}: the rating "
                           f"{a.rag.label if a.rag else ''} was set by the partnership: "
                           f"{a.rag_override_text}")
            if a.rag_override_expired:
                out.append(f"{a.target_title or a.measure_name}: {a.rag_override_expired}")
        return out

    def caveats(self) -> Part:
        notes = self.caveats_list()
        html = f.bullets(notes, "caveats") if notes else "<p>None.</p>"
        return self._html("caveats", html, text_records("caveats", notes))

    def metadata(self) -> Part:
        """Title, partnership, period, data to, produced on, status, marking, organisation."""
        from cdrp_lib import tables

        c = self.config
        b = c.bulletin
        meta = tables.BulletinMeta(
            title=b.title, partnership=c.name, period=c.month, data_to=self.data_to,
            produced_on=f.long_date(c.produced_on), status=b.status,
            security_marking=b.security_marking, organisation=b.organisation,
            synthetic=c.synthetic)
        return self._html("metadata", tables.metadata_block(meta),
                          [{"part": "metadata", "title": b.title, "partnership": c.name,
                            "period": c.month, "data_to": self.data_to,
                            "produced_on": c.produced_on, "status": b.status}])

    def parts(self) -> tuple[Part, ...]:
        return (self.header(), self.commentary(), self.introduction(), self.movements(),
                self.executive_summary(),
                self.all_targets(), self.monitoring(), self.sources(), self.caveats(),
                self.metadata(), self.footer())
