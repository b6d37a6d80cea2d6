"""What every page (a theme page, the front page) has in common: parts made once, their
CSVs registered, and one call that writes what the batch publishes.

A part is made the first time it is asked for and kept, so showing it twice
(or a cell run again in JupyterLab) registers its CSV once, under the same name.
``write()`` writes the CSV of every part made so far and ``<page>.figures.json``,
the public JSON of every PublicAssessment the page is about (methods §9: figures
disclosure control withholds are blank there, as on the page).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cdrp_lib.areas import slugify
from cdrp_lib.pages import links
from cdrp_lib.pages.fragments import month_label, page_foot, page_top
from cdrp_lib.pages.movements import LAST_MONTH_KEY, MOVEMENT_KEY
from cdrp_lib.pages.part import FRONT_PAGE, Download, Part, join

if TYPE_CHECKING:
    import pandas as pd

    from cdrp_lib.charts import Chart
    from cdrp_lib.pages.bulletin import BulletinConfig
    from cdrp_lib.public import PublicAssessment
    from cdrp_lib.stats.enums import Rag
    from cdrp_lib.tables import Table

#: Ratings last month by target id (:func:`cdrp_lib.pages.movements.ratings_last_month`),
#: asked for only when a page needs them.
LastMonth = Callable[[], Mapping[str, "Rag | None"]]


#: What figures_doc adds to an Assessment's public JSON.
PAGE_KEYS = frozenset({"commentary", LAST_MONTH_KEY, MOVEMENT_KEY})


def figures_doc(assessments: Sequence[PublicAssessment], config: BulletinConfig,
                last_month: Mapping[str, Rag | None] | None = None) -> list[dict[str, Any]]:
    """The public JSON of each PublicAssessment, with the commentary shown beside it and,
    for a target, its rating last month and how it moved (when ``last_month`` is given)."""
    from cdrp_lib.pages.movements import figures_fields

    out = []
    for a in assessments:
        doc = a.to_json()
        if last_month is not None:
            doc.update(figures_fields(a, last_month))
        notes = {k: v for k, v in (("theme", config.commentary.for_theme(a.theme)),
                                   ("target", config.commentary.for_target(a.target_id or "")))
                 if v}
        if notes:
            doc["commentary"] = notes
        out.append(doc)
    return out


def _noun(item: Chart | Table) -> str:
    from cdrp_lib.tables import Table

    return "table" if isinstance(item, Table) else "chart"


#: The front page's id: its breadcrumb has no link to itself.
FRONT_PAGE_ID = "summary"


class PageBase(ABC):
    """Parts of one page, made once each, with their downloads registered in order.

    ``title`` begins the page's ``<h1>`` ("Violence: Ashcombe ..., December 2025");
    ``about`` names what the page's commentary box is about, for screen readers.
    """

    def __init__(self, page_id: str, config: BulletinConfig, output_dir: Path, title: str,
                 about: str) -> None:
        self.id = page_id
        self.config = config
        self.output_dir = output_dir
        self.title = title
        self.about = about
        self._parts: dict[str, Part] = {}
        self._names: dict[str, Download] = {}
        #: Set by the Bulletin: every target's rating last month (figures.json records it).
        self.last_month: LastMonth | None = None

    @property
    def file_name(self) -> str:
        """The page's file in the bulletin folder (``index.html`` for the front page)."""
        return FRONT_PAGE if self.id == FRONT_PAGE_ID else f"{self.id}.html"

    def _last_month(self) -> Mapping[str, Rag | None] | None:
        return self.last_month() if self.last_month is not None else None

    # ---- the parts every page has -------------------------------------------------

    def header(self) -> Part:
        """Protective marking, breadcrumb, links to the same page of the previous and next
        months, the search form, the page title and any synthetic-data banner."""
        c = self.config
        title = f"{self.title}: {c.name}, {month_label(c.month)}"
        navigation = "\n".join((
            links.month_nav(c.partnership, c.name, c.month, self.file_name),
            links.search_form(),
            links.search_filters(c.name, month_label(c.month),
                                 "Summary" if self.id == FRONT_PAGE_ID else self.title)))
        top = page_top(title, c.bulletin.security_marking, c.synthetic,
                       front_page=self.id == FRONT_PAGE_ID, navigation=navigation)
        return self._html("header", top, [{"part": "title", "text": title}])

    def commentary(self) -> Part:
        """The analyst's commentary on this page for the month, if any (params/commentary)."""
        return self._commentary("commentary", self.config.commentary.for_theme(self.id),
                                self.about, level=2)

    def footer(self) -> Part:
        """Produced on, the library's version, and the protective marking again."""
        c = self.config
        guide = links.guide_link(links.GUIDE_METHODS, "How these figures are made: the reading "
                                 "guide, methods, data sources and definitions")
        return self._html("footer", guide + "\n"
                          + page_foot(c.produced_on, c.bulletin.security_marking))

    def _commentary(self, name: str, text: str | None, about: str, level: int) -> Part:
        """A commentary box whose heading is at ``level`` (2 under the page's title, 3
        under a target's heading); nothing when there is no text."""
        from cdrp_lib.commentary import commentary_html

        if not text:
            return self._html(name, "")
        return self._html(name, commentary_html(text, heading="Commentary", level=level,
                                                label=f"Commentary on {about}"),
                          [{"part": "commentary", "text": text}])

    # ---- making parts -------------------------------------------------------------

    def _part(self, name: str, make: Callable[[], Part]) -> Part:
        if name not in self._parts:
            self._parts[name] = make()
        return self._parts[name]

    def _html(self, name: str, html: str, records: Sequence[dict[str, Any]] = ()) -> Part:
        return self._part(name, lambda: Part(name, html, (), tuple(records), self.output_dir))

    def _download(self, item: Chart | Table, *stem_parts: str) -> Download:
        stem = "-".join(filter(None, map(slugify, (self.id, *stem_parts))))
        name, n = f"{stem}.csv", 2
        while name in self._names:
            name, n = f"{stem}-{n}.csv", n + 1
        download = Download(name, item.csv)
        self._names[name] = download
        return download

    def _figure_html(self, item: Chart | Table, *stem_parts: str) -> tuple[str, Download]:
        """The figure with its CSV link and, for a kind the reading guide explains (the last
        part of its CSV's name), the link to how to read it."""
        download = self._download(item, *stem_parts)
        block = item.to_html(download.href)
        section = links.guide_section(stem_parts[-1]) if stem_parts else None
        if section is not None:
            block += "\n" + links.guide_link(section, f"How to read this {_noun(item)}")
        return block, download

    def _figures(self, name: str, heading: str,
                 items: Callable[[], Sequence[tuple[Chart | Table, tuple[str, ...]]]]) -> Part:
        """A part of one or more charts/tables (each with its CSV) under an optional heading."""
        def make() -> Part:
            blocks = [heading] if heading else []
            downloads = []
            for item, stem in items():
                block, download = self._figure_html(item, *stem)
                blocks.append(block)
                downloads.append(download)
            return Part(name, "\n".join(blocks), tuple(downloads), (), self.output_dir)
        return self._part(name, make)

    # ---- the page -------------------------------------------------------------------

    @property
    @abstractmethod
    def assessments(self) -> tuple[PublicAssessment, ...]:
        """The Assessments the page is about (what its figures JSON records)."""

    @abstractmethod
    def parts(self) -> tuple[Part, ...]:
        """The parts of the page in their default order (what the page's notebook shows)."""

    def whole(self) -> Part:
        """Every default part as one (for a quick look, or a test of the whole page)."""
        return join(self.id, self.parts())

    def frame(self) -> pd.DataFrame:
        """One row per PublicAssessment on the page: its public figures (nested lists left out)."""
        import pandas as pd

        rows = [{k: v for k, v in doc.items() if not isinstance(v, (list, dict))}
                for doc in figures_doc(self.assessments, self.config, self._last_month())]
        return pd.DataFrame(rows)

    def figures_json(self) -> str:
        """``<page>.figures.json``: the public JSON of every Assessment shown, in page order."""
        doc = figures_doc(self.assessments, self.config, self._last_month())
        return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"

    def write(self) -> None:
        """Write the CSV of every part made so far and the figures JSON into the output folder.

        File names come from slugs, so they cannot leave the output folder.  Returns
        nothing, so a notebook cell ending with it shows nothing.
        """
        data = self.output_dir / "data"
        data.mkdir(parents=True, exist_ok=True)
        for d in self._names.values():
            (data / d.name).write_text(d.csv, encoding="utf-8", newline="\n")
        (self.output_dir / f"{self.id}.figures.json").write_text(
            self.figures_json(), encoding="utf-8", newline="\n")

    def written(self) -> tuple[Path, ...]:
        """The files :meth:`write` writes, in order."""
        return (*(self.output_dir / "data" / n for n in self._names),
                self.output_dir / f"{self.id}.figures.json")
