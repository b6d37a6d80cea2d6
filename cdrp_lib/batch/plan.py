"""Planning a batch: which bulletins to make, and the hashes that say whether each is current.

A bulletin's inputs are the digests of everything its pages depend on:

* ``store``: a content digest of the tables notebooks read (every table of the
  store except the raw ``police_counts`` and the ``input_files`` log).  It is
  one digest for the whole store, not one per partnership, because a bulletin
  compares its partnership with its most similar group: other partnerships'
  series are inputs too;
* ``params``: every file under the params folder (measures, method settings,
  lookups) except ``params/commentary/`` and ``params/partnerships/``;
* ``params:partnership``: the bulletin's own partnership file and those of the
  partnerships it names (peers, parent, sub-areas), so that an edit to one
  partnership's file re-makes the bulletins that read it, not every bulletin;
* ``commentary``: the bytes of this bulletin's own commentary file,
  ``params/commentary/<partnership>/<YYYY-MM>.yaml`` (``none`` when there is
  none), so that a commentary change re-makes exactly that bulletin;
* ``themes``: the bulletin's pages (its theme list in force: bulletin.yaml's, or the
  partnership's own): id, title and notebook of each, in order, since every page's
  navigation bar lists them;
* ``notebook:<theme>``: the bytes of each page's notebook (the one its theme names, or the
  generic ``theme.ipynb``);
* ``cdrp_lib``: the library's source, every file of the installed package
  (:func:`library_digest`, computed once per batch), so that any change to its
  code, templates or stylesheet re-makes the bulletins without a version bump;
* ``renderer`` and ``kernel``: how pages are executed and rendered.

Each page has its own key (:func:`page_key`): the partnership, month, theme
and those inputs with only its own notebook.  ``bulletin.json`` records the key
and inputs that made each page it holds, so a run of some pages
(``--themes``) keeps the others and a later run knows which pages are current;
a bulletin is current when every page the job makes is (:func:`is_current`).
A job's key (in the run manifest) and a folder's key (in its ``bulletin.json``)
are the digest of their pages' keys (:func:`bulletin_key`).

The date a page was produced on is an output, not an input: an unchanged
bulletin is not re-made on a new day (``--force`` re-makes it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdrp_lib.batch.jobs import (
    BULLETIN_FILE,
    DEFAULT_PAGES,
    SUMMARY,
    BatchSettings,
    Job,
    PageSpec,
    page_file,
)
from cdrp_lib.errors import InputError, NotFoundError, Problem
from cdrp_lib.periods import Month

LATEST = "latest"
# Tables of the store that notebooks never read: raw LSOA counts (series are
# built from them) and the ingest log (its timestamps change on a no-op ingest).
STORE_TABLES_NOT_READ = frozenset({"police_counts", "input_files"})
# A bulletin without a commentary file (cdrp_lib.commentary) has this as its input.
NO_COMMENTARY = "none"
# Package files that are not source: bytecode and build leftovers.
NOT_SOURCE_SUFFIXES = frozenset({".pyc", ".pyo", ".so", ".pyd"})


class PlanError(InputError):
    """A batch request that cannot be planned; its message lists every problem, on one line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(problems)
        self.args = ("; ".join(str(p) for p in self.problems),)


@dataclass(frozen=True)
class PartnershipRow:
    """One partnership as the store lists it; ``has_data``: it has a non-empty series."""

    id: str
    name: str
    synthetic: bool = False
    has_data: bool = True
    # Months every force policing it published (cdrp_lib.coverage); None: not known.
    reportable: frozenset[str] | None = None

    def reportable_in(self, month: str) -> bool:
        return self.has_data and (self.reportable is None or month in self.reportable)


@dataclass(frozen=True)
class StoreFacts:
    """What planning needs from the store, read once per batch."""

    partnerships: tuple[PartnershipRow, ...]
    latest_month: str | None
    digest: str


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest_files(root: Path, paths: Iterable[Path]) -> str:
    """sha256 over the relative names and bytes of ``paths`` (sorted, so order never matters)."""
    h = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.relative_to(root).as_posix()):
        h.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        h.update(_sha256_bytes(path.read_bytes()).encode("ascii") + b"\n")
    return h.hexdigest()


def _visible_files(root: Path) -> list[Path]:
    """Files under ``root``, leaving out hidden ones and caches."""
    out: list[Path] = []
    for path in root.rglob("*"):
        parts = path.relative_to(root).parts
        if any(p.startswith(".") or p == "__pycache__" for p in parts) or not path.is_file():
            continue
        out.append(path)
    return out


def params_digest(params_dir: Path) -> str:
    """Digest of every file under the params folder except commentary and partnership files.

    Commentary belongs to one bulletin each (:func:`commentary_digest`), so
    editing one re-makes that bulletin, not all of them; a partnership's file
    belongs to its own bulletins and those that name it
    (:func:`partnership_params_digests`).
    """
    from cdrp_lib.commentary import COMMENTARY_DIR
    from cdrp_lib.params import PARTNERSHIPS_DIR

    if not params_dir.is_dir():
        raise NotFoundError(f"{params_dir}: no such params folder")
    files = [p for p in _visible_files(params_dir)
             if p.relative_to(params_dir).parts[0] not in (COMMENTARY_DIR, PARTNERSHIPS_DIR)]
    return digest_files(params_dir, files)


def partnership_files(params_dir: Path) -> dict[str, Path]:
    """``partnerships/<id>.yaml`` by id (the file's stem, as params requires)."""
    from cdrp_lib.params import PARTNERSHIPS_DIR

    folder = params_dir / PARTNERSHIPS_DIR
    return {p.stem: p for p in sorted(folder.glob("*.yaml")) if p.is_file()}


def partnership_params_digests(params_dir: Path, ids: Iterable[str],
                               references: Mapping[str, set[str]]) -> dict[str, str]:
    """Per partnership, the digest of its params file and of the files it names.

    A bulletin reads its own partnership's file and those of the partnerships
    it names (peers, parent, sub-areas: their names and populations), so an
    edit to one partnership's file re-makes its bulletins and those of the
    partnerships naming it, not every bulletin.  ``references`` maps each id to
    the ids it names (:func:`cdrp_lib.batch.checks.check_params`).  A
    partnership with no file (a district found only in the data) has the
    digest of no file.
    """
    files = partnership_files(params_dir)
    out: dict[str, str] = {}
    for pid in ids:
        named = {pid, *references.get(pid, set())}
        out[pid] = digest_files(params_dir, [files[n] for n in sorted(named) if n in files])
    return out


def commentary_digest(params_dir: Path, partnership: str, month: str) -> str:
    """sha256 of the bulletin's commentary file, or ``none`` when it has none.

    The file is :func:`cdrp_lib.commentary.commentary_path`; an id that could
    not name one (not a slug) has none.
    """
    from cdrp_lib.commentary import commentary_path

    try:
        path = commentary_path(params_dir, partnership, month)
    except ValueError:
        return NO_COMMENTARY
    return _sha256_bytes(path.read_bytes()) if path.is_file() else NO_COMMENTARY


def library_digest(package_dir: Path | None = None) -> str:
    """Digest of the library's source: every file of the package, by relative name and bytes.

    ``package_dir`` defaults to the installed ``cdrp_lib``.  Python files,
    templates, stylesheets and data files all count; bytecode, caches and
    hidden files (editor and JupyterLab checkpoints) do not.
    """
    root = Path(package_dir) if package_dir is not None else Path(__file__).resolve().parents[1]
    files = [p for p in _visible_files(root) if p.suffix not in NOT_SOURCE_SUFFIXES]
    return digest_files(root, files)


def store_digest(store: Path) -> str:
    """A content digest of the store tables notebooks read.

    Per table: its column names and types, its row count and the sum of
    DuckDB's row hashes (order-free, and duplicates do not cancel as with XOR).
    DuckDB's version is part of the digest because its hash function may change.
    """
    from cdrp_lib.store import Store

    with Store(store, read_only=True) as st:
        return _store_digest(st.con)


def _store_digest(con: Any) -> str:
    import duckdb

    h = hashlib.sha256(f"duckdb {duckdb.__version__}\n".encode())
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name"
    ).fetchall()]
    for table in tables:
        if table in STORE_TABLES_NOT_READ:
            continue
        columns = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
            [table]).fetchall()
        quoted = '"' + table.replace('"', '""') + '"'
        row = con.execute(
            f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM {quoted} AS t"
        ).fetchone()
        h.update(f"{table}|{columns}|{row}\n".encode())
    return h.hexdigest()


def read_store_facts(store: Path) -> StoreFacts:
    """Partnerships, latest police month and content digest of the store, in one opening."""
    from cdrp_lib.store import Store

    with Store(store, read_only=True) as st:
        listed = st.partnerships()
        latest = st.latest_month("police")
        synthetic = {str(r[0]) for r in st.con.execute(
            "SELECT id FROM partnerships WHERE synthetic").fetchall()}
        with_data = {str(r[0]) for r in st.con.execute(
            "SELECT DISTINCT partnership FROM series WHERE value IS NOT NULL").fetchall()}
        digest = _store_digest(st.con)
        covered = _coverage_months(st.con)
    rows = tuple(PartnershipRow(pid, name, pid in synthetic, pid in with_data,
                                None if covered is None else covered.get(pid))
                 for pid, name in listed)
    return StoreFacts(partnerships=rows, latest_month=latest, digest=digest)


def _coverage_months(con: Any) -> dict[str, frozenset[str]] | None:
    """Partnership -> months it can be reported for; None for a store from before coverage.

    A partnership with no force recorded (a store written by hand) is left out: its
    series alone decide.
    """
    from cdrp_lib.coverage import coverage

    tables = {str(r[0]) for r in con.execute("SELECT table_name FROM information_schema.tables")
              .fetchall()}
    if "partnership_forces" not in tables:
        return None
    return {c.id: frozenset(c.months) for c in coverage(con) if c.forces}


def normalise_themes(themes: Sequence[str] | None, pages: Sequence[PageSpec] = DEFAULT_PAGES
                     ) -> tuple[tuple[str, ...], list[str]]:
    """The requested themes in page order with the summary added; and those not among
    ``pages`` (a bulletin's theme list)."""
    ids = [p.id for p in pages]
    wanted = set(themes) if themes else set(ids)
    unknown = sorted(wanted - set(ids))
    wanted.add(SUMMARY)
    return tuple(t for t in ids if t in wanted), unknown


def theme_pages(params_dir: Path, ids: Iterable[str]) -> dict[str, tuple[PageSpec, ...]]:
    """Each partnership's pages: its theme list in force (its own `themes:`, else
    bulletin.yaml's; the default list without bulletin.yaml), summary first; under ``""``
    bulletin.yaml's own.

    A partnership whose params file does not validate gets bulletin.yaml's list (its
    bulletins fail on their params anyway); a bulletin.yaml that does not validate stops
    planning with its problems.
    """
    from cdrp_lib.errors import ParamsError
    from cdrp_lib.params import BULLETIN_FILE as PARAMS_BULLETIN
    from cdrp_lib.params import load_bulletin, load_partnerships_apart, themes_in_force

    bulletin = (load_bulletin(params_dir) if (params_dir / PARAMS_BULLETIN).is_file()
                else None)
    try:
        valid = load_partnerships_apart(params_dir)[0]
    except ParamsError:  # measures.yaml broken: planning's params check reports it
        valid = {}
    return {pid: tuple(PageSpec(t.id, t.nav_title, t.notebook_name)
                       for t in themes_in_force(bulletin, valid.get(pid)))
            for pid in [*ids, ""]}


def pages_digest(pages: Sequence[PageSpec]) -> str:
    """The ``themes`` input: a digest of a bulletin's pages (id, title, notebook), in order."""
    doc = [[p.id, p.title, p.notebook] for p in pages]
    return _sha256_bytes(json.dumps(doc).encode("utf-8"))


def _resolve_month(month: str, latest: str | None, store: Path) -> tuple[str | None, list[Problem]]:
    if latest is None:
        raise NotFoundError(f"{store}: the store holds no police months (run `cdrp ingest`)")
    if month == LATEST:
        return latest, []
    try:
        parsed = Month.parse(month)
    except ValueError:
        return None, [Problem(str(store), "`--month` is not a month", "YYYY-MM or 'latest'",
                              repr(month), column="--month")]
    if parsed > Month.parse(latest):
        return None, [Problem(str(store), "`--month` is after the store's data",
                              f"a month up to {latest}", str(parsed), column="--month")]
    return str(parsed), []


def plan_jobs(
    settings: BatchSettings,
    *,
    month: str,
    partnerships: Sequence[str] | None,
    themes: Sequence[str] | None = None,
    facts: StoreFacts | None = None,
    references: Mapping[str, set[str]] | None = None,
) -> list[Job]:
    """One job per partnership for ``month`` (``'latest'``: the store's latest police month).

    ``partnerships=None`` means every partnership in the store that has data (a
    partnership defined in params whose force's files were never ingested has
    none, and no bulletin can be made for it; :func:`without_data` lists those).
    ``themes``
    defaults to every page; the summary is always included because it is the
    bulletin's front page, the one the site index links to.  Every problem with
    the request (unknown partnerships or themes, missing notebooks, a bad month)
    is reported at once as a :class:`PlanError` (an :class:`InputError`).
    ``references`` are the partnerships each names in params
    (:func:`partnership_params_digests`; read from params when not given).
    """
    facts = facts if facts is not None else read_store_facts(settings.store)
    problems: list[Problem] = []
    resolved, month_problems = _resolve_month(month, facts.latest_month, settings.store)
    problems.extend(month_problems)
    known = {p.id: p for p in facts.partnerships}
    if partnerships is None:
        chosen = sorted((p for p in facts.partnerships
                         if (p.reportable_in(resolved) if resolved else p.has_data)),
                        key=lambda p: p.id)
    else:
        chosen = []
        for pid in dict.fromkeys(partnerships):
            if pid in known and known[pid].has_data:
                chosen.append(known[pid])
            elif pid in known:
                problems.append(Problem(str(settings.store), "partnership has no data",
                                        "a partnership with series in the store (ingest its "
                                        "force's street files)", repr(pid),
                                        column="--partnership"))
            else:
                sample = ", ".join(sorted(known)[:8]) + (", ..." if len(known) > 8 else "")
                problems.append(Problem(str(settings.store), "unknown partnership",
                                        f"a partnership in the store ({sample})", repr(pid),
                                        column="--partnership"))
    lists = theme_pages(settings.params_dir, (p.id for p in chosen))
    asked: dict[str, tuple[str, ...]] = {}
    every = {t.id for specs in lists.values() for t in specs} or {t.id for t in DEFAULT_PAGES}
    for theme in sorted(set(themes or ()) - every):
        problems.append(Problem("cdrp run", "unknown theme", f"one of {', '.join(sorted(every))}",
                                repr(theme), column="--themes"))
    notebooks: dict[str, Path] = {}
    missing: set[Path] = set()
    # Without a partnership to plan (a bad request), the notebooks bulletin.yaml's list needs.
    for pid in [p.id for p in chosen] or [""]:
        asked[pid] = normalise_themes(themes, lists[pid])[0]
        for spec in lists[pid]:
            if spec.id not in asked[pid] or spec.notebook in notebooks:
                continue
            path = settings.notebooks_dir / f"{spec.notebook}.ipynb"
            if path.is_file():
                notebooks[spec.notebook] = path
            elif path not in missing:
                missing.add(path)
                problems.append(Problem(str(path), "notebook missing",
                                        f"the {spec.id} page's notebook", "no such file"))
    if problems:
        raise PlanError(problems)
    assert resolved is not None

    if references is None:
        from cdrp_lib.batch.checks import params_references

        references = params_references(settings.params_dir)
    own_params = partnership_params_digests(settings.params_dir, (p.id for p in chosen),
                                            references)
    shared = {
        "store": facts.digest,
        "params": params_digest(settings.params_dir),
        "cdrp_lib": library_digest(),
        "renderer": settings.renderer,
        "kernel": settings.kernel_name,
    }
    notebook_digests = {n: _sha256_bytes(path.read_bytes()) for n, path in notebooks.items()}
    jobs = []
    for p in chosen:
        pages = lists[p.id]
        made = asked[p.id]
        own = {"commentary": commentary_digest(settings.params_dir, p.id, resolved),
               "params:partnership": own_params[p.id],
               "themes": pages_digest(pages),
               **{f"notebook:{t.id}": notebook_digests[t.notebook] for t in pages
                  if t.id in made}}
        inputs = tuple(sorted({**shared, **own}.items()))
        jobs.append(Job(partnership=p.id, partnership_name=p.name, synthetic=p.synthetic,
                        month=resolved, themes=made,
                        key=bulletin_key({t: _page_key(p.id, resolved, t, inputs) for t in made}),
                        inputs=inputs, settings=settings, pages=pages))
    return jobs


def without_data(facts: StoreFacts) -> list[str]:
    """Ids of the store's partnerships with no series: ``--all`` leaves them out."""
    return sorted(p.id for p in facts.partnerships if not p.has_data)


def _page_inputs(inputs: Iterable[tuple[str, str]], theme: str) -> dict[str, str]:
    return {name: digest for name, digest in inputs
            if not name.startswith("notebook:") or name == f"notebook:{theme}"}


def _page_key(partnership: str, month: str, theme: str,
              inputs: Iterable[tuple[str, str]]) -> str:
    doc = {"partnership": partnership, "month": month, "theme": theme,
           "inputs": _page_inputs(inputs, theme)}
    return _sha256_bytes(json.dumps(doc, sort_keys=True).encode("utf-8"))


def page_inputs(job: Job, theme: str) -> dict[str, str]:
    """The job's inputs that one page depends on: all but the other pages' notebooks."""
    return _page_inputs(job.inputs, theme)


def page_key(job: Job, theme: str) -> str:
    """The digest recorded with one published page; equal keys mean nothing it reads changed."""
    return _page_key(job.partnership, job.month, theme, job.inputs)


def bulletin_key(page_keys: dict[str, str]) -> str:
    """The key of a bulletin: the digest of its pages' keys (a job's key, a folder's key)."""
    return _sha256_bytes(json.dumps(page_keys, sort_keys=True).encode("utf-8"))


def published_record(site_dir: Path) -> dict[str, Any] | None:
    """The ``bulletin.json`` of a published bulletin folder, if it is complete.

    ``None`` when there is none, it is unreadable, or a page it lists is
    missing (a folder damaged by hand is re-made, not trusted).
    """
    try:
        record = json.loads((site_dir / BULLETIN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("key"), str):
        return None
    pages = record.get("themes")
    if not isinstance(pages, list) or not all(
            isinstance(t, str) and (site_dir / page_file(t)).is_file() for t in pages):
        return None
    return record


def published_page_keys(site_dir: Path) -> dict[str, str]:
    """``{theme: key}`` of the pages of the bulletin published in ``site_dir`` (``{}``: none)."""
    record = published_record(site_dir)
    pages = record.get("pages") if record is not None else None
    if not isinstance(pages, dict):
        return {}
    return {str(t): str(p["key"]) for t, p in pages.items()
            if isinstance(p, dict) and isinstance(p.get("key"), str)}


def is_current(job: Job) -> bool:
    """True when every page of the job is published, made from exactly this job's inputs."""
    published = published_page_keys(job.site_dir)
    return all(published.get(t) == page_key(job, t) for t in job.themes)
