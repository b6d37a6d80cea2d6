"""Ingest: discover the inputs, read each by kind, write the store, rebuild the series.

One call, :func:`ingest`, turns any mix of data.police.uk street files (folders,
flat folders, zips), domestic-abuse extracts, survey files and population files
into the store, and returns an :class:`IngestReport` of everything it found.

* Idempotent: every input file is keyed by its sha256; a known file is skipped.
  A new file for a force and month the store already holds replaces that month.
* All or nothing: the writes are one transaction, and ``strict`` writes nothing
  when any row or file is rejected.
* Series are rebuilt from ``police_counts`` (and the local tables) after every
  ingest, which is cheap, so a new params partnership or a new month needs no
  migration: partnerships are every district found in the LSOA names plus the
  params partnerships; a partnership's series runs from the first to the last
  month published by the forces whose rows fall in its area, and a month its
  principal force (the one contributing most rows) did not publish is NULL.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cdrp_lib.areas import PartnershipArea, district_area, district_from_lsoa_name
from cdrp_lib.errors import Problem
from cdrp_lib.params import DEFAULT_PARAMS_DIR, Measure, load_measures, load_partnerships
from cdrp_lib.periods import Month
from cdrp_lib.sources import police_uk
from cdrp_lib.sources.police_uk import (
    SEVERITY_ERROR,
    SEVERITY_WARNING,
    FileCheck,
    FileStats,
    InputFile,
    StreetFile,
)
from cdrp_lib.store import DEFAULT_STORE, connect_for_write

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

KIND_STREET = "police-street"
KIND_DOMESTIC_ABUSE = "domestic-abuse"
KIND_SURVEY = "survey"
KIND_POPULATION = "population"
# Local files are recognised by the start of their name (docs/data.md).
LOCAL_PREFIXES: tuple[tuple[str, str], ...] = (
    ("domestic_abuse", KIND_DOMESTIC_ABUSE),
    ("survey", KIND_SURVEY),
    ("population", KIND_POPULATION),
)
# The demo generator's fictional force: districts it serves are flagged synthetic.
SYNTHETIC_FORCES: frozenset[str] = frozenset({"demoshire"})

RULE_GAP = "publication gap"
RULE_REPLACED = "force month replaced"
RULE_UNKNOWN_PARTNERSHIP = "unknown partnership"
RULE_UNRESOLVED_EVENT = "DA events in no partnership"
# Rows rebuilt from the whole store on every ingest (not tied to one input file).
_REBUILT_RULES = (RULE_GAP, RULE_UNRESOLVED_EVENT, RULE_UNKNOWN_PARTNERSHIP)

LocalReader = Callable[[Path], "tuple[pd.DataFrame, list[Problem]]"]


# --------------------------------------------------------------------------- report

@dataclass(frozen=True)
class LocalResult:
    """One local file (domestic abuse, survey, population): rows read and kept."""

    name: str
    kind: str
    rows: int


@dataclass(frozen=True)
class IngestReport:
    """Everything one ingest found; the CLI prints it and exits with :attr:`exit_code`."""

    store: str
    street: tuple[FileStats, ...]
    local: tuple[LocalResult, ...]
    known: tuple[str, ...]              # skipped: already in the store (same sha256)
    ignored: tuple[tuple[str, str], ...]
    unreadable: tuple[str, ...]         # files of which nothing could be read
    problems: tuple[Problem, ...]
    gaps: tuple[tuple[str, str], ...]   # (force, month) publication gaps, whole store
    partnerships: tuple[tuple[str, str, str], ...]  # (id, name, source), whole store
    written: bool
    strict: bool

    @property
    def rejects_by_rule(self) -> dict[str, int]:
        """Rejected rows and files, by rule (error-severity problems)."""
        counts = Counter(p.rule for p in self.problems if p.severity == SEVERITY_ERROR)
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    @property
    def exit_code(self) -> int:
        """1 when a file was unreadable, or under ``strict`` when anything was rejected."""
        if self.unreadable or (self.strict and self.rejects_by_rule):
            return 1
        return 0


# --------------------------------------------------------------------------- ingest

def ingest(paths: Sequence[Path | str], store: Path | str = DEFAULT_STORE,
           params_dir: Path | str = DEFAULT_PARAMS_DIR, strict: bool = False,
           batch_bytes: int = police_uk.DEFAULT_BATCH_BYTES) -> IngestReport:
    """Ingest ``paths`` (files, folders, zips) into the store at ``store``."""
    measures = load_measures(params_dir)
    areas = _params_areas(params_dir)
    with tempfile.TemporaryDirectory(prefix="cdrp-ingest-") as tmp:
        work = Path(tmp)
        found = police_uk.discover(paths, work / "extract")
        con = connect_for_write(store)
        try:
            con.execute("BEGIN TRANSACTION")
            run = _Run(con, {str(r[0]) for r in con.execute(
                "SELECT sha256 FROM input_files").fetchall()})
            run.problems.extend(found.problems)
            run.unreadable.extend(p.file for p in found.problems)
            run.ignored.extend(found.ignored)
            local_files = _classify_local(found.other, run)
            run.read_street(found.street, work, batch_bytes)
            run.read_local(local_files)
            errors = any(p.severity == SEVERITY_ERROR for p in run.problems)
            if strict and errors:
                con.execute("ROLLBACK")
                return run.report(store, strict, written=False, rebuilt=None)
            run.write()
            rebuilt = rebuild(con, measures, areas)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.close()
    return run.report(store, strict, written=True, rebuilt=rebuilt)


def _params_areas(params_dir: Path | str) -> dict[str, tuple[str, PartnershipArea]]:
    """Params partnerships as ``id -> (name, area)``; none when there is no partnerships folder."""
    if not (Path(params_dir) / "partnerships").is_dir():
        return {}
    return {pid: (p.name, p.area_spec) for pid, p in load_partnerships(params_dir).items()}


def _classify_local(files: Iterable[InputFile], run: _Run) -> list[tuple[InputFile, str]]:
    out: list[tuple[InputFile, str]] = []
    for f in files:
        base = f.path.name.lower()
        kind = next((k for prefix, k in LOCAL_PREFIXES if base.startswith(prefix)), None)
        if kind is None:
            run.ignored.append((f.name, "not a recognised input (YYYY-MM-<force>-street.csv, "
                                "domestic_abuse*.csv, survey*.csv, population*.csv)"))
        else:
            out.append((f, kind))
    return out


def _local_reader(kind: str) -> LocalReader:
    if kind == KIND_DOMESTIC_ABUSE:
        from cdrp_lib.sources.domestic_abuse import read_domestic_abuse
        return read_domestic_abuse
    if kind == KIND_SURVEY:
        from cdrp_lib.sources.survey import read_survey
        return read_survey
    from cdrp_lib.sources.population import read_population
    return read_population


@dataclass
class _Run:
    """Mutable state of one ingest while it reads; frozen into an IngestReport at the end."""

    con: duckdb.DuckDBPyConnection
    known_hashes: set[str]
    problems: list[Problem] = dataclasses.field(default_factory=list)
    unreadable: list[str] = dataclasses.field(default_factory=list)
    ignored: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    known: list[str] = dataclasses.field(default_factory=list)
    street: tuple[FileStats, ...] = ()
    empty: list[FileCheck] = dataclasses.field(default_factory=list)
    local: list[tuple[LocalResult, str, pd.DataFrame]] = dataclasses.field(default_factory=list)
    names_read: dict[str, str] = dataclasses.field(default_factory=dict)  # name -> sha256

    # -- street files
    def read_street(self, files: Sequence[StreetFile], work: Path, batch_bytes: int) -> None:
        scratch = work / "clean"
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            checks = pool.map(lambda f: police_uk.check_street_file(f, scratch), files)
            read = police_uk.read_street_files(self.con, self._new_checks(checks), scratch,
                                               table="police_counts", batch_bytes=batch_bytes)
        self.street = read.stats
        self.problems.extend(read.problems)
        self.problems.extend(self._same_force_month(read.stats))

    def _new_checks(self, checks: Iterable[FileCheck]) -> Iterator[FileCheck]:
        """Checked files that are new to the store; the rest are noted as they pass."""
        for check in checks:
            name = check.file.name
            if check.sha256 and (check.sha256 in self.known_hashes
                                 or check.sha256 in self.names_read.values()):
                self.known.append(name)
                continue
            if not check.usable:
                self.unreadable.append(name)
                self.problems.extend(check.problems)
                self.names_read[name] = check.sha256
                continue
            if check.empty:
                self.empty.append(check)
                self.problems.extend(check.problems)
                self.names_read[name] = check.sha256
                continue
            self.names_read[name] = check.sha256
            yield check

    @staticmethod
    def _same_force_month(stats: Sequence[FileStats]) -> list[Problem]:
        last: dict[tuple[str, str], FileStats] = {}
        out: list[Problem] = []
        for s in stats:
            key = (s.force, s.month)
            if key in last:
                out.append(Problem(last[key].name, police_uk.RULE_SAME_FORCE_MONTH,
                                   f"one file for {s.force} {s.month}",
                                   f"also {s.name}, which is used instead",
                                   severity=SEVERITY_WARNING))
            last[key] = s
        return out

    # -- local files
    def read_local(self, files: Sequence[tuple[InputFile, str]]) -> None:
        for f, kind in files:
            try:
                data = f.path.read_bytes()
            except OSError as exc:
                self.unreadable.append(f.name)
                self.problems.append(Problem(f.name, police_uk.RULE_UNREADABLE, "a readable file",
                                             exc.strerror or str(exc)))
                continue
            sha = hashlib.sha256(data).hexdigest()
            if sha in self.known_hashes or sha in self.names_read.values():
                self.known.append(f.name)
                continue
            self.names_read[f.name] = sha
            frame, problems = _local_reader(kind)(f.path)
            self.problems.extend(_renamed(problems, str(f.path), f.name))
            self.local.append((LocalResult(f.name, kind, len(frame)), sha, frame))

    # -- writing
    def write(self) -> None:
        """Write everything read but the street counts (already in police_counts).

        All inside the caller's transaction, which a strict run rolls back.
        """
        import pandas as pd

        con = self.con
        chosen = {(s.force, s.month): s for s in self.street}  # the later file wins
        fm = pd.DataFrame({"force": [k[0] for k in chosen], "month": [k[1] for k in chosen],
                           "rows": [s.kept for s in chosen.values()]}, dtype=object)
        con.register("run_force_months", fm)
        replaced = con.execute("SELECT f.force, f.month FROM force_months f JOIN "
                               "run_force_months r USING (force, month) WHERE f.rows > 0 "
                               "ORDER BY 1, 2").fetchall()
        for force, month in replaced:
            s = chosen[(force, month)]
            self.problems.append(Problem(s.name, RULE_REPLACED, f"one file for {force} {month}",
                                         "a new file: it replaces the one ingested before",
                                         severity=SEVERITY_WARNING))
        con.execute("DELETE FROM force_months USING run_force_months r "
                    "WHERE force_months.force = r.force AND force_months.month = r.month")
        con.execute("INSERT INTO force_months SELECT force, month, CAST(rows AS BIGINT) "
                    "FROM run_force_months")
        con.unregister("run_force_months")
        for check in self.empty:  # an empty file never overwrites a month that has rows
            sf = check.file
            con.execute("INSERT INTO force_months SELECT ?, ?, 0 WHERE NOT EXISTS (SELECT 1 FROM "
                        "force_months WHERE force = ? AND month = ?)",
                        [sf.force, sf.month, sf.force, sf.month])

        inputs = [(s.sha256, s.name, KIND_STREET, s.rows) for s in self.street]
        inputs += [(sha, r.name, r.kind, r.rows) for r, sha, _ in self.local]
        if inputs:
            con.register("run_inputs", pd.DataFrame(inputs, columns=["sha256", "path", "kind",
                                                                     "rows"]))
            con.execute("INSERT INTO input_files SELECT sha256, path, kind, rows, now() "
                        "FROM run_inputs")
            con.unregister("run_inputs")
        for result, _, frame in self.local:
            _write_local(con, result.kind, frame)
        self._write_problems()

    def _write_problems(self) -> None:
        import pandas as pd

        names = sorted(set(self.names_read) | {p.file for p in self.problems})
        self.con.register("run_names", pd.DataFrame({"file": names}, dtype=object))
        self.con.execute("DELETE FROM data_quality WHERE file IN (SELECT file FROM run_names)")
        self.con.unregister("run_names")
        rows = pd.DataFrame({
            "sha256": [self.names_read.get(p.file, "") for p in self.problems],
            "file": [p.file for p in self.problems],
            "line": pd.array([p.line for p in self.problems], dtype="Int32"),
            "column": [p.column for p in self.problems],
            "rule": [p.rule for p in self.problems],
            "expected": [p.expected for p in self.problems],
            "found": [p.found for p in self.problems],
            "severity": [p.severity for p in self.problems],
        })
        self.con.register("run_problems", rows)
        self.con.execute("INSERT INTO data_quality SELECT * FROM run_problems")
        self.con.unregister("run_problems")

    def report(self, store: Path | str, strict: bool, written: bool,
               rebuilt: Rebuilt | None) -> IngestReport:
        return IngestReport(
            store=str(store), street=self.street,
            local=tuple(r for r, _, _ in self.local), known=tuple(self.known),
            ignored=tuple(self.ignored), unreadable=tuple(dict.fromkeys(self.unreadable)),
            problems=tuple(self.problems) + (rebuilt.problems if rebuilt else ()),
            gaps=rebuilt.gaps if rebuilt else (),
            partnerships=rebuilt.partnerships if rebuilt else (),
            written=written, strict=strict)


def _renamed(problems: Iterable[Problem], path: str, name: str) -> list[Problem]:
    """Problems naming an extracted zip member by its archive name, not the temp path."""
    return [dataclasses.replace(p, file=name) if p.file == path else p for p in problems]


def _write_local(con: duckdb.DuckDBPyConnection, kind: str, frame: pd.DataFrame) -> None:
    """Upsert a local extract: rows with the same key replace those already held."""
    if frame.empty:
        return
    con.register("run_local", frame)
    try:
        if kind == KIND_DOMESTIC_ABUSE:
            con.execute("DELETE FROM da_events WHERE event_id IN (SELECT event_id FROM run_local)")
            con.execute("INSERT INTO da_events SELECT CAST(event_id AS VARCHAR), "
                        "CAST(date AS DATE), kind, victim_id, coalesce(lsoa_code, ''), "
                        "coalesce(partnership, ''), "
                        "CAST(marac_referral AS BOOLEAN) FROM run_local")
        elif kind == KIND_SURVEY:
            con.execute("DELETE FROM survey USING run_local r WHERE survey.partnership = "
                        "r.partnership AND survey.question = r.question AND survey.wave = r.wave")
            con.execute("INSERT INTO survey SELECT partnership, question, wave, month, "
                        "respondents, weighted_yes, weighted_n, n_eff FROM run_local")
        else:
            con.execute("DELETE FROM population USING run_local r WHERE "
                        "population.district = r.district AND population.year = r.year")
            con.execute("INSERT INTO population SELECT district, year, population FROM run_local")
    finally:
        con.unregister("run_local")


# --------------------------------------------------------------------------- rebuild

@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild of the derived tables found across the whole store."""

    gaps: tuple[tuple[str, str], ...]
    partnerships: tuple[tuple[str, str, str], ...]
    problems: tuple[Problem, ...]


# police_counts by partnership instead of LSOA, made once per rebuild: the series and
# the principal forces read it rather than joining ~10^6 counts to the members again.
_MEMBER_COUNTS = ("CREATE OR REPLACE TEMP TABLE member_counts AS SELECT m.partnership, c.force, "
                  "c.month, c.crime_type, sum(c.n) AS n FROM police_counts c "
                  "JOIN members m USING (lsoa_code, lsoa_name) GROUP BY ALL")
# Rows each force contributes to each partnership; the principal force contributes most
# (ties go to the first force name, so the choice is reproducible).
_PARTNERSHIP_FORCES = "SELECT partnership, force, sum(n) AS n FROM member_counts GROUP BY ALL"
_PRINCIPAL_SELECT = ("SELECT partnership, first(force ORDER BY n DESC, force) AS force "
                     "FROM pf GROUP BY ALL")
_MONTH_GRID = ("strftime(unnest(generate_series(CAST(first || '-01' AS DATE), "
               "CAST(last || '-01' AS DATE), INTERVAL 1 MONTH)), '%Y-%m')")


def rebuild(con: duckdb.DuckDBPyConnection, measures: Mapping[str, Measure],
            params: Mapping[str, tuple[str, PartnershipArea]]) -> Rebuilt:
    """Rebuild partnerships, publication gaps, DA areas and every series from the store."""
    import pandas as pd

    lsoas: list[tuple[str, str]] = con.execute(
        "SELECT DISTINCT lsoa_code, lsoa_name FROM police_counts WHERE lsoa_code <> '' "
        "ORDER BY 1, 2").fetchall()
    districts = {name: district_from_lsoa_name(name) for name in {n for _, n in lsoas}}
    areas = _all_areas(districts, params)
    members = _members(areas, lsoas, districts)
    con.register("members", pd.DataFrame(members, columns=["partnership", "lsoa_code",
                                                           "lsoa_name"], dtype=object))
    police = [(mid, cat) for mid, m in measures.items() if m.source == "police"
              for cat in m.categories]
    con.register("measure_categories", pd.DataFrame(police, columns=["measure", "category"],
                                                    dtype=object))
    try:
        con.execute(_MEMBER_COUNTS)
        principal = dict(con.execute(
            f"WITH pf AS ({_PARTNERSHIP_FORCES}) {_PRINCIPAL_SELECT}").fetchall())
        gaps = _rebuild_gaps(con)
        _rebuild_partnerships(con, areas, principal)
        con.execute("DELETE FROM series")
        _police_series(con)
        problems = list(gaps[1])
        problems += _da_series(con, areas, lsoas)
        problems += _survey_series(con, measures, areas)
    finally:
        con.execute("DROP TABLE IF EXISTS member_counts")
        con.unregister("members")
        con.unregister("measure_categories")
    _store_rebuilt_problems(con, problems)
    partnerships = tuple((pid, name, source) for pid, (name, _, source) in sorted(areas.items()))
    return Rebuilt(gaps[0], partnerships, tuple(problems))


def _all_areas(districts: Mapping[str, str | None],
               params: Mapping[str, tuple[str, PartnershipArea]]
               ) -> dict[str, tuple[str, PartnershipArea, str]]:
    """Every district in the LSOA names (auto) plus the params partnerships (which win).

    ``districts`` maps each LSOA name in the data to its district (None when it has none).
    """
    out: dict[str, tuple[str, PartnershipArea, str]] = {}
    for district in sorted({d for d in districts.values() if d}):
        area = district_area(district)
        if area.id and area.id not in params:
            out[area.id] = (district, area, "auto")
    for pid, (name, area) in params.items():
        out[pid] = (name, area, "params")
    return out


def _members(areas: Mapping[str, tuple[str, PartnershipArea, str]],
             lsoas: Sequence[tuple[str, str]],
             districts: Mapping[str, str | None] | None = None) -> list[tuple[str, str, str]]:
    """``(partnership, lsoa_code, lsoa_name)`` for every LSOA in every area.

    An auto district's LSOAs are those named after it (one name parse per LSOA,
    none for names already in ``districts``).
    A params area is only asked about its candidates (LSOAs of its districts by
    name, its listed codes, codes its lookup puts in its districts), and
    :meth:`PartnershipArea.contains` decides, so membership is exactly what
    areas.py defines without asking every area about all ~35,000 LSOAs.
    """
    by_district: dict[str, list[tuple[str, str]]] = {}
    by_code: dict[str, list[tuple[str, str]]] = {}
    known = districts or {}
    for code, name in lsoas:
        district = known[name] if name in known else district_from_lsoa_name(name)
        by_district.setdefault(district or "", []).append((code, name))
        by_code.setdefault(code, []).append((code, name))
    out: list[tuple[str, str, str]] = []
    for pid, (_, area, source) in areas.items():
        candidates: set[tuple[str, str]] = set()
        for district in area.districts:
            candidates.update(by_district.get(district, ()))
        for code in area.lsoas:
            candidates.update(by_code.get(code, ()))
        for code, district in area.lookup.items():
            if district in area.districts:
                candidates.update(by_code.get(code, ()))
        out.extend((pid, code, name) for code, name in sorted(candidates)
                   if source == "auto" or area.contains(code, name))
    return out


def _rebuild_partnerships(con: duckdb.DuckDBPyConnection,
                          areas: Mapping[str, tuple[str, PartnershipArea, str]],
                          principal: Mapping[str, str]) -> None:
    import pandas as pd

    rows = [(pid, name, source, bool(area.synthetic or principal.get(pid) in SYNTHETIC_FORCES))
            for pid, (name, area, source) in sorted(areas.items())]
    districts = [(pid, d) for pid, (_, area, _) in sorted(areas.items())
                 for d in sorted(area.districts)]
    con.execute("DELETE FROM partnerships")
    con.execute("DELETE FROM partnership_districts")
    if rows:
        con.register("run_p", pd.DataFrame(rows, columns=["id", "name", "source", "synthetic"]))
        con.execute("INSERT INTO partnerships SELECT * FROM run_p")
        con.unregister("run_p")
    if districts:
        con.register("run_d", pd.DataFrame(districts, columns=["partnership", "district"]))
        con.execute("INSERT INTO partnership_districts SELECT * FROM run_d")
        con.unregister("run_d")


def _rebuild_gaps(con: duckdb.DuckDBPyConnection
                  ) -> tuple[tuple[tuple[str, str], ...], list[Problem]]:
    """Months with no file or no rows between a force's first and last published month."""
    rows = con.execute(
        f"WITH r AS (SELECT force, min(month) AS first, max(month) AS last FROM force_months "
        f"  WHERE rows > 0 GROUP BY force), "
        f"g AS (SELECT force, {_MONTH_GRID} AS month FROM r) "
        "SELECT g.force, g.month, fm.rows FROM g LEFT JOIN (SELECT force, month, max(rows) AS rows "
        "  FROM force_months GROUP BY ALL) fm USING (force, month) "
        "WHERE coalesce(fm.rows, 0) = 0 ORDER BY 1, 2").fetchall()
    gaps = tuple((str(f), str(m)) for f, m, _ in rows)
    problems = [Problem(f"force {f}", RULE_GAP,
                        f"a street file with rows for {f} in {m} (it published before and after)",
                        "no file" if n is None else "an empty file", severity=SEVERITY_WARNING)
                for f, m, n in rows]
    return gaps, problems


def _police_series(con: duckdb.DuckDBPyConnection) -> None:
    """Police measures for every partnership and month of its forces' range; NULL in a gap."""
    con.execute(f"""
        INSERT INTO series
        WITH pf AS ({_PARTNERSHIP_FORCES}),
        principal AS ({_PRINCIPAL_SELECT}),
        span AS (
            SELECT pf.partnership, min(fm.month) AS first, max(fm.month) AS last
            FROM pf JOIN force_months fm ON fm.force = pf.force AND fm.rows > 0 GROUP BY ALL),
        grid AS (SELECT partnership, {_MONTH_GRID} AS month FROM span),
        counts AS (
            SELECT c.partnership, c.month, mc.measure, sum(c.n) AS n
            FROM member_counts c JOIN measure_categories mc ON mc.category = c.crime_type
            GROUP BY ALL),
        published AS (SELECT force, month FROM force_months WHERE rows > 0 GROUP BY ALL)
        SELECT g.partnership, ms.measure, g.month,
               CASE WHEN pub.force IS NOT NULL THEN CAST(coalesce(c.n, 0) AS DOUBLE) END,
               CAST(NULL AS DOUBLE)
        FROM grid g JOIN principal p USING (partnership)
        CROSS JOIN (SELECT DISTINCT measure FROM measure_categories) ms
        LEFT JOIN published pub ON pub.force = p.force AND pub.month = g.month
        LEFT JOIN counts c ON c.partnership = g.partnership AND c.month = g.month
                          AND c.measure = ms.measure
        ORDER BY 1, 2, 3""")


def _da_series(con: duckdb.DuckDBPyConnection,
               areas: Mapping[str, tuple[str, PartnershipArea, str]],
               lsoas: Sequence[tuple[str, str]]) -> list[Problem]:
    """Resolve DA events located by LSOA to every partnership containing it; write DA series.

    An event given only a partnership keeps it.  An event with an LSOA code belongs to
    every partnership whose area contains that LSOA (a town centre and its district);
    when none does (yet), it keeps what it had, so a later police ingest can place it.
    """
    import pandas as pd

    names = dict(lsoas)
    codes = [str(r[0]) for r in con.execute(
        "SELECT DISTINCT lsoa_code FROM da_events WHERE lsoa_code <> ''").fetchall()]
    placed = sorted({(code, pid) for pid, code, _ in
                     _members(areas, [(code, names.get(code, "")) for code in codes])})
    if placed:
        con.register("da_places", pd.DataFrame(placed, columns=["lsoa_code", "partnership"],
                                               dtype=object))
        con.execute("CREATE OR REPLACE TEMP TABLE da_located AS SELECT DISTINCT ON (event_id) "
                    "event_id, date, kind, victim_id, lsoa_code, marac_referral FROM da_events "
                    "WHERE lsoa_code IN (SELECT lsoa_code FROM da_places) ORDER BY event_id")
        con.execute("DELETE FROM da_events WHERE lsoa_code IN (SELECT lsoa_code FROM da_places)")
        con.execute("INSERT INTO da_events SELECT e.event_id, e.date, e.kind, e.victim_id, "
                    "e.lsoa_code, p.partnership, e.marac_referral FROM da_located e "
                    "JOIN da_places p USING (lsoa_code)")
        con.unregister("da_places")
    problems: list[Problem] = []
    unplaced = con.execute("SELECT count(DISTINCT event_id) FROM da_events "
                           "WHERE partnership = ''").fetchone()
    if unplaced and unplaced[0]:
        problems.append(Problem("domestic abuse events", RULE_UNRESOLVED_EVENT,
                                "an LSOA inside a partnership, or a partnership id",
                                f"{unplaced[0]} events in no known area (counted nowhere)",
                                column="lsoa_code", severity=SEVERITY_WARNING))
    events = con.execute("SELECT event_id, CAST(date AS TIMESTAMP) AS date, kind, victim_id, "
                         "lsoa_code, partnership, marac_referral FROM da_events "
                         "ORDER BY date, event_id").df()
    if events.empty:
        return problems
    problems += _unknown_partnerships(events["partnership"], areas, "domestic abuse events")
    from cdrp_lib.sources.domestic_abuse import monthly_series

    events["date"] = events["date"].astype("datetime64[ns]")
    series = monthly_series(events)
    con.register("run_series", series)
    con.execute("INSERT INTO series SELECT partnership, measure, month, CAST(value AS DOUBLE), "
                "CAST(denominator AS DOUBLE) FROM run_series")
    con.unregister("run_series")
    return problems


def _survey_series(con: duckdb.DuckDBPyConnection, measures: Mapping[str, Measure],
                   areas: Mapping[str, object]) -> list[Problem]:
    """Survey measures at each wave's month: numerator p * n_eff, denominator n_eff."""
    import pandas as pd

    ids = [str(r[0]) for r in con.execute("SELECT DISTINCT partnership FROM survey").fetchall()]
    problems = _unknown_partnerships(pd.Series(ids, dtype=object), areas, "survey waves")
    pairs = [(mid, m.question) for mid, m in measures.items()
             if m.source == "survey" and m.question]
    if not pairs:
        return problems
    con.register("survey_measures", pd.DataFrame(pairs, columns=["measure", "question"],
                                                 dtype=object))
    con.execute("INSERT INTO series SELECT s.partnership, m.measure, s.month, "
                "s.weighted_yes / s.weighted_n * s.n_eff, s.n_eff FROM survey s "
                "JOIN survey_measures m USING (question) WHERE s.weighted_n > 0 "
                "ORDER BY 1, 2, 3")
    con.unregister("survey_measures")
    return problems


def _unknown_partnerships(ids: pd.Series, areas: Mapping[str, object],
                          what: str) -> list[Problem]:
    unknown = sorted({str(i) for i in ids if i and str(i) not in areas})
    return [Problem(what, RULE_UNKNOWN_PARTNERSHIP, "a district in the police data or a params "
                    "partnership", u, column="partnership", severity=SEVERITY_WARNING)
            for u in unknown]


def _store_rebuilt_problems(con: duckdb.DuckDBPyConnection, problems: Sequence[Problem]) -> None:
    con.execute("DELETE FROM data_quality WHERE rule IN ("
                + ", ".join("?" for _ in _REBUILT_RULES) + ")", list(_REBUILT_RULES))
    if problems:
        con.executemany("INSERT INTO data_quality VALUES ('', ?, NULL, ?, ?, ?, ?, ?)",
                        [(p.file, p.column, p.rule, p.expected, p.found, p.severity)
                         for p in problems])


# --------------------------------------------------------------------------- the report as text

def format_report(report: IngestReport, max_problems: int = 20) -> str:
    """The data-quality report `cdrp ingest` prints: short, and every figure labelled."""
    st = report.street
    lines = [f"Store: {report.store}" + ("" if report.written else
                                         "  (NOT written: --strict and rows or files rejected)")]
    kinds = Counter(r.kind for r in report.local)
    local = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    lines.append(f"Files: {len(st)} street files read"
                 + (f", {local}" if local else "")
                 + f"; {len(report.known)} already in the store"
                 + f"; {len(report.unreadable)} unreadable"
                 + f"; {len(report.ignored)} ignored")
    lines.append(f"Rows: {sum(s.rows for s in st):,} read, {sum(s.kept for s in st):,} kept, "
                 f"{sum(s.rejected for s in st):,} rejected, "
                 f"{sum(s.duplicates for s in st):,} repeated Crime IDs dropped (first kept), "
                 f"{sum(s.no_lsoa for s in st):,} with no LSOA (force only)")
    for r in report.local:
        lines.append(f"  {r.kind}: {r.name}: {r.rows:,} rows kept")
    rejects = report.rejects_by_rule
    lines.append("Rejects by rule: " + (", ".join(f"{rule} {n:,}" for rule, n in rejects.items())
                                         if rejects else "none"))
    lines.append("Publication gaps: " + (", ".join(gap_ranges(report.gaps))
                                          if report.gaps else "none"))
    by_source = Counter(source for _, _, source in report.partnerships)
    shown = ", ".join(pid for pid, _, _ in report.partnerships[:12])
    more = len(report.partnerships) - 12
    lines.append(f"Partnerships: {len(report.partnerships)} ({by_source['auto']} districts found "
                 f"in the data, {by_source['params']} from params)"
                 + (f": {shown}" + (f" and {more} more" if more > 0 else "")
                    if report.partnerships else ""))
    ignored = Counter(reason for _, reason in report.ignored)
    for reason, n in sorted(ignored.items()):
        lines.append(f"Ignored {n}: {reason}")
    errors = [p for p in report.problems if p.severity == SEVERITY_ERROR]
    warnings = Counter(p.rule for p in report.problems if p.severity == SEVERITY_WARNING)
    if warnings:
        lines.append("Warnings: " + ", ".join(f"{rule} {n:,}" for rule, n in
                                               sorted(warnings.items())))
    if errors:
        lines.append(f"Problems ({min(len(errors), max_problems)} of {len(errors)} shown; "
                     "all are in the store's data_quality table):")
        lines.extend(f"  {p}" for p in errors[:max_problems])
    return "\n".join(lines)


def gap_ranges(gaps: Iterable[tuple[str, str]]) -> list[str]:
    """``kent 2025-02``, or ``kent 2019-03 to 2024-12 (70 months)`` for consecutive months."""
    by_force: dict[str, list[Month]] = {}
    for force, month in gaps:
        by_force.setdefault(force, []).append(Month.parse(month))
    out: list[str] = []
    for force, months in by_force.items():
        months.sort()
        start = prev = months[0]
        for m in [*months[1:], None]:
            if m is not None and m.minus(prev) == 1:
                prev = m
                continue
            n = prev.minus(start) + 1
            out.append(f"{force} {start}" if n == 1 else f"{force} {start} to {prev} ({n} months)")
            if m is not None:
                start = prev = m
    return out
