"""Open one partnership's bulletin for one month, once: config, store, every assessment.

This is where a notebook starts::

    import cdrp_lib as cdrp
    bulletin = cdrp.open_bulletin("ashcombe", "2025-12")
    page = bulletin.theme("violence")
    page.header()

:func:`open_bulletin` reads params once into a frozen :class:`BulletinConfig`,
opens the store read-only just long enough to assess every measure of the
month once, and hands out pages (:meth:`Bulletin.theme`, :meth:`Bulletin.summary`)
that compose those Assessments into parts.  Relative paths are read from the
project folder, so the same call works in JupyterLab (working folder
``notebooks/``) and in the batch.

A bulletin's pages are separate notebooks, each in a fresh kernel, and every one
opens the same bulletin.  Under the batch (:data:`CACHE_ENV` set to a folder that
lives for one job) the first page to open it saves the config, the public
Assessments, every target's rating last month and the survey charts' earlier waves
there and the others load them (:func:`cached_bulletin`), so a bulletin is assessed
once rather than once per page, and last month once rather than once per page (every
page's figures file records each of its targets' rating last month).  The waves are
read with the opening only under the batch: that page's kernel has params parsed and
the store open already, where the page drawing them would parse and open both again
in a kernel of its own (issue 13); outside the batch a page reads its own when made.
The file is keyed on the store file (path, size, modification time), the params
folder, the partnership, the month, the production date and the library version;
outside the batch nothing is cached.
"""

from __future__ import annotations

import copyreg
import functools
import hashlib
import io
import json
import os
import pickle
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from cdrp_lib.errors import NotFoundError
from cdrp_lib.pages.fragments import produced_on as checked_date
from cdrp_lib.pages.paths import resolve_path
from cdrp_lib.periods import Month
from cdrp_lib.version import __version__

if TYPE_CHECKING:
    from cdrp_lib.commentary import Commentary
    from cdrp_lib.pages.summary import SummaryPage
    from cdrp_lib.pages.theme import ThemePage
    from cdrp_lib.params import BulletinParams, Measure, OutcomeParams, ThemeParams
    from cdrp_lib.public import PublicAssessment
    from cdrp_lib.stats.enums import Rag
    from cdrp_lib.store import Store

SUMMARY = "summary"
SOURCE_SURVEY = "survey"
#: Survey waves on a survey chart, each with its own 95% interval (one PublicAssessment
#: each): three years of quarterly waves, the window of the performance charts.
SURVEY_CHART_WAVES = 12
DEFAULT_STORE = "outputs/store.duckdb"
DEFAULT_PARAMS = "params"
DEFAULT_OUTPUT = "outputs/scratch"
#: A folder where the pages of one bulletin share its opening (set by the batch per job).
CACHE_ENV = "CDRP_BULLETIN_CACHE"


@dataclass(frozen=True)
class BulletinConfig:
    """Everything a bulletin's pages read from params, read once."""

    params_dir: Path
    bulletin: BulletinParams
    measures: Mapping[str, Measure]
    partnership: str
    name: str
    synthetic: bool
    month: str
    produced_on: str
    #: Targets' ``caveats`` (for readers); their ``notes`` record provenance and stay out.
    target_notes: Mapping[str, tuple[str, ...]]
    commentary: Commentary
    #: Every partnership's name by id (peer groups name their members).
    partnership_names: Mapping[str, str]
    #: The bulletin's pages, summary first: the partnership's own theme list, else
    #: bulletin.yaml's (:meth:`~cdrp_lib.params.BulletinParams.themes_for`).
    themes: tuple[ThemeParams, ...] = ()
    #: The partnership's outcomes by code, in params order (titles, shared assessments,
    #: themes): the executive summary's rows.
    outcomes: Mapping[str, OutcomeParams] = field(default_factory=dict)

    def theme_title(self, theme: str) -> str:
        """The title of one of this bulletin's themes."""
        for t in self.themes:
            if t.id == theme:
                return t.title
        raise NotFoundError(f"no theme {theme!r} in this bulletin's theme list "
                            f"({', '.join(t.id for t in self.themes)})")

    def source_of(self, a: PublicAssessment) -> str | None:
        m = self.measures.get(a.measure)
        return m.source if m is not None else None


@contextmanager
def opened_store(store: Store | Path | str) -> Iterator[Store]:
    """``store`` itself when already open, else the store file opened read-only."""
    from cdrp_lib.store import Store

    if isinstance(store, Store):
        yield store
        return
    path = resolve_path(store)
    if not path.is_file():
        raise NotFoundError(f"{path}: no store; run `cdrp ingest` (or `make demo`) first")
    with Store(path, read_only=True) as opened:
        yield opened


def read_config(st: Store, params_dir: Path, partnership: str, month: str,
                produced_on: str) -> BulletinConfig:
    from cdrp_lib.assess import cached_params
    from cdrp_lib.commentary import load_commentary
    from cdrp_lib.params import load_bulletin

    measures, partnerships, cached_bulletin = cached_params(params_dir)
    # A page needs bulletin.yaml: without it load_bulletin raises, naming the file.
    bulletin = cached_bulletin if cached_bulletin is not None else load_bulletin(params_dir)
    p = partnerships.get(partnership)
    row = st.con.execute("SELECT name, synthetic FROM partnerships WHERE id = ?",
                         [partnership]).fetchone()
    if p is None and row is None:
        raise NotFoundError(f"no partnership {partnership!r} in the store or in params")
    name = p.name if p is not None else str(row[0]) if row else partnership
    synthetic = bool(p.synthetic if p is not None else (row[1] if row else False))
    targets = tuple(t.id for t in p.targets) if p is not None else ()
    themes = bulletin.themes_for(p)
    commentary = load_commentary(params_dir, partnership, month,
                                 themes=[t.id for t in themes], targets=targets)
    return BulletinConfig(
        params_dir=params_dir, bulletin=bulletin, measures=measures, partnership=partnership,
        name=name, synthetic=synthetic, month=month, produced_on=produced_on,
        target_notes={t.id: tuple(t.caveats) for t in p.targets} if p is not None else {},
        commentary=commentary,
        partnership_names={**dict(st.partnerships()),
                           **{i: q.name for i, q in partnerships.items()}},
        themes=themes, outcomes=dict(p.outcome_params) if p is not None else {})


def _key(a: PublicAssessment) -> str:
    from cdrp_lib.pages.fragments import key

    return key(a)


def recent_waves(st: Store, config: BulletinConfig, latest: Sequence[PublicAssessment]
                 ) -> dict[str, list[PublicAssessment]]:
    """One PublicAssessment per wave (the last SURVEY_CHART_WAVES) of every survey measure
    shown, oldest first, so each wave is drawn with its own interval.

    Only the survey measures shown are assessed, for all their wave months at once
    (:func:`~cdrp_lib.assess.assess_months` reads each series once): each Assessment
    is the one the whole theme's assessment for that month would hold.
    """
    from cdrp_lib.assess import assess_months
    from cdrp_lib.public import public_view

    survey = [a for a in latest
              if config.source_of(a) == SOURCE_SURVEY and a.data_to is not None]
    months: set[str] = set()
    for a in survey:
        done = [p.month for p in a.history if p.value is not None
                and p.month <= str(a.data_to)]
        months.update(done[-SURVEY_CHART_WAVES:])
    out: dict[str, list[PublicAssessment]] = {_key(a): [] for a in survey}
    by_month: dict[str, dict[str, PublicAssessment]] = {m: {} for m in months}
    for theme in sorted({a.theme for a in survey}):
        shown = {a.measure for a in survey if a.theme == theme}
        found = assess_months(st, config.params_dir, config.partnership, sorted(months),
                              theme=theme, measures=shown)
        for month, assessed in found.items():
            by_month[month].update((_key(x), x) for x in map(public_view, assessed))
    for month in sorted(months):
        for a in survey:
            x = by_month[month].get(_key(a))
            if x is not None and x.survey_percent is not None and x.data_to == month:
                out[_key(a)].append(x)
    return out


#: Earlier survey waves by assessment key (:func:`recent_waves`).
Waves = Mapping[str, Sequence["PublicAssessment"]]


def bulletin_waves(st: Store, config: BulletinConfig, assessments: Sequence[PublicAssessment]
                   ) -> dict[str, list[PublicAssessment]]:
    """The earlier survey waves of every theme page, each theme's read exactly as its page
    reads them (:func:`recent_waves` on that theme's Assessments), so a page shows the same
    waves whether they came with the opening or were read by the page."""
    out: dict[str, list[PublicAssessment]] = {}
    for theme in dict.fromkeys(a.theme for a in assessments):
        latest = [a for a in assessments if a.theme == theme]
        if any(config.source_of(a) == SOURCE_SURVEY for a in latest):
            out.update(recent_waves(st, config, latest))
    return out


class Bulletin:
    """One partnership's bulletin for one month: its config, Assessments and pages.

    Made by :func:`open_bulletin`.  Pages are made once each and share the
    Assessments, so a figure cannot differ between the front page and a theme page.
    """

    def __init__(self, config: BulletinConfig, assessments: Sequence[PublicAssessment],
                 store: Store | Path | str, output_dir: Path,
                 last_month: Mapping[str, Rag | None] | None = None,
                 waves: Waves | None = None) -> None:
        self.config = config
        self.assessments = tuple(assessments)
        self.output_dir = output_dir
        self._store = store
        self._pages: dict[str, ThemePage | SummaryPage] = {}
        #: Every target's rating last month (read from the store when first asked for,
        #: unless :func:`open_bulletin` read it with the bulletin).
        self._last_month = None if last_month is None else MappingProxyType(dict(last_month))
        #: Every theme's survey waves (:func:`bulletin_waves`), when read with the opening.
        self._all_waves = waves

    def _waves(self, latest: Sequence[PublicAssessment]) -> dict[str, list[PublicAssessment]]:
        """Earlier survey waves, read only for a page that draws a survey chart (or with
        the bulletin's opening under the batch)."""
        if not any(self.config.source_of(a) == SOURCE_SURVEY for a in latest):
            return {}
        if self._all_waves is not None:
            keys = {_key(a) for a in latest}
            return {k: list(v) for k, v in self._all_waves.items() if k in keys}
        with opened_store(self._store) as st:
            return recent_waves(st, self.config, latest)

    @property
    def partnership(self) -> str:
        return self.config.partnership

    @property
    def month(self) -> str:
        return self.config.month

    @property
    def themes(self) -> tuple[str, ...]:
        """The theme pages of this bulletin, in its theme list's order (the partnership's
        own, else bulletin.yaml's)."""
        return tuple(t.id for t in self.config.themes if t.id != SUMMARY)

    def __repr__(self) -> str:
        return (f"<Bulletin {self.config.name} {Month.parse(self.month).label}: "
                f"{len(self.assessments)} assessments; themes {', '.join(self.themes)}>")

    def ratings_last_month(self, theme: str | None = None) -> Mapping[str, Rag | None]:
        """Each target's rating in the month before (one theme's targets, or all).

        Every target's is read from the store once per bulletin
        (:mod:`cdrp_lib.pages.movements`), with the bulletin under the batch, and a
        theme's are those of its targets.
        """
        from cdrp_lib.pages.movements import ratings_last_month

        if self._last_month is None:
            with opened_store(self._store) as st:
                self._last_month = MappingProxyType(ratings_last_month(
                    st, self.config.params_dir, self.partnership, self.month))
        if theme is None:
            return self._last_month
        ids = {a.target_id for a in self.assessments if a.theme == theme}
        return MappingProxyType({k: v for k, v in self._last_month.items() if k in ids})

    def theme(self, theme: str) -> ThemePage:
        """The page of one theme (its targets, then its monitoring indicators)."""
        from cdrp_lib.pages.theme import ThemePage

        if theme not in self.themes:
            raise NotFoundError(f"no theme {theme!r} in the theme list of {self.partnership} "
                                f"(known: {', '.join(self.themes)})")
        page = self._pages.get(theme)
        if page is None:
            latest = [a for a in self.assessments if a.theme == theme]
            page = ThemePage(theme, self.config, latest, self._waves(latest), self.output_dir)
            page.last_month = functools.partial(self.ratings_last_month, theme)
            self._pages[theme] = page
        assert isinstance(page, ThemePage)
        return page

    def summary(self) -> SummaryPage:
        """The front page: executive summary, all targets, sources, caveats, metadata."""
        from cdrp_lib.pages.summary import SummaryPage

        page = self._pages.get(SUMMARY)
        if page is None:
            page = SummaryPage(self.config, self.assessments, self.output_dir)
            page.last_month = self.ratings_last_month
            self._pages[SUMMARY] = page
        assert isinstance(page, SummaryPage)
        return page


def _cache_file(store: Path, params: Path, partnership: str, month: str, day: str
                ) -> Path | None:
    """Where this opening is cached, or None outside the batch (or without a store file)."""
    folder = os.environ.get(CACHE_ENV)
    if not folder:
        return None
    try:
        stat = store.stat()
    except OSError:
        return None
    key = json.dumps([str(store), stat.st_size, stat.st_mtime_ns, str(params), partnership,
                      month, day, __version__])
    return Path(folder) / f"{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}.pickle"


#: What a bulletin's opening reads: its config, its public Assessments, every target's
#: rating last month and (under the batch) every theme's earlier survey waves.
Opened = tuple[BulletinConfig, list["PublicAssessment"], dict[str, "Rag | None"],
               "dict[str, list[PublicAssessment]] | None"]


def cached_bulletin(file: Path | None, make: Callable[[], Opened]) -> Opened:
    """``make()``, or what it returned for the same key earlier in this job.

    The file is written by this library in the job's own folder, so unpickling it
    trusts nothing from outside; one that cannot be read is made again.  It is
    written to a temporary name and renamed, so a page never reads half of one.
    """
    if file is not None and file.is_file():
        with suppress(Exception):
            config, assessments, last_month, waves = pickle.loads(file.read_bytes())  # this job's
            return config, assessments, last_month, waves
    opened = make()
    if file is not None:
        # Caching is only a saving: what cannot be pickled or written is made by each page.
        with suppress(OSError, TypeError, pickle.PicklingError):
            file.parent.mkdir(parents=True, exist_ok=True)
            tmp = file.with_name(f".{file.name}.{os.getpid()}.tmp")
            tmp.write_bytes(_pickled(opened))
            os.replace(tmp, file)
    return opened


def read_only(mapping: dict[object, object]) -> MappingProxyType[object, object]:
    """A read-only view of ``mapping`` (how a pickled one is made again)."""
    return MappingProxyType(mapping)


def _proxy(mapping: Any) -> tuple[Callable[..., Any], tuple[Any, ...]]:
    return read_only, (dict(mapping),)


def _pickled(opened: Opened) -> bytes:
    """``opened`` pickled; the read-only mappings of the frozen config pickle as themselves."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    table: dict[type, Callable[[Any], tuple[Callable[..., Any], tuple[Any, ...]]]] = {
        MappingProxyType: _proxy}
    pickler.dispatch_table = {**copyreg.dispatch_table, **table}
    pickler.dump(opened)
    return out.getvalue()


def open_bulletin(partnership: str, month: str, *, store: Store | Path | str = DEFAULT_STORE,
                  params_dir: Path | str = DEFAULT_PARAMS,
                  output_dir: Path | str = DEFAULT_OUTPUT, produced_on: str = "") -> Bulletin:
    """Open the bulletin of ``partnership`` for ``month`` (``YYYY-MM``).

    Reads params once, opens the store read-only, and assesses every measure
    of the month once (once per bulletin under the batch: see the module docstring).
    In a notebook it also lets a matplotlib chart an analyst
    shows with ``plt.show()`` carry its title as alt text (:mod:`cdrp_lib.analyst`),
    as the batch's kernels do.
    ``output_dir`` is where pages write their CSVs and figures JSON;
    ``produced_on`` (``YYYY-MM-DD``, default today) is printed on every page.
    """
    from cdrp_lib.analyst import install

    install()  # in a notebook: an analyst's plt.show() chart gets its title as alt text
    params = resolve_path(params_dir)
    month = str(Month.parse(month))
    day = checked_date(produced_on)

    file = (_cache_file(resolve_path(store), params, partnership, month, day)
            if isinstance(store, (str, Path)) else None)

    def make() -> Opened:
        from cdrp_lib.assess import assess_partnership
        from cdrp_lib.pages.movements import ratings_last_month
        from cdrp_lib.public import public_view

        with opened_store(store) as st:
            config = read_config(st, params, partnership, month, day)
            # Disclosure control is applied here, once: every part reads the public view.
            assessments = [public_view(a) for a in assess_partnership(st, params, partnership,
                                                                     month)]
            # Every page's figures file records its targets' ratings last month: read once.
            last_month = ratings_last_month(st, params, partnership, month)
            # Kept for the other pages' kernels: the survey page's, read while params and
            # the store are at hand here (outside the batch the page reads its own).
            waves = bulletin_waves(st, config, assessments) if file is not None else None
            return config, assessments, last_month, waves

    config, assessments, last_month, waves = cached_bulletin(file, make)
    kept = resolve_path(store) if isinstance(store, (str, Path)) else store
    return Bulletin(config, assessments, kept, resolve_path(output_dir), last_month, waves)
