"""One ingest: discover the inputs, read each by kind, write the store in one transaction."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cdrp_lib.areas import PartnershipArea
from cdrp_lib.errors import Problem
from cdrp_lib.params import DEFAULT_PARAMS_DIR, load_measures, load_partnerships
from cdrp_lib.sources import police_uk, registry
from cdrp_lib.sources.kind import ReadContext, SourceKind
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

from cdrp_lib.ingest.rebuild import Rebuilt, rebuild
from cdrp_lib.ingest.report import (
    KIND_STREET,
    RULE_REPLACED,
    IngestReport,
    LocalResult,
)

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
                "SELECT sha256 FROM input_files").fetchall()}, ReadContext(measures))
            run.problems.extend(found.problems)
            run.unreadable.extend(p.file for p in found.problems
                                  if p.severity == SEVERITY_ERROR)
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
            if strict and any(p.severity == SEVERITY_ERROR for p in rebuilt.problems):
                con.execute("ROLLBACK")  # rows no partnership takes are rejected rows too
                return run.report(store, strict, written=False, rebuilt=rebuilt)
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


def _classify_local(files: Iterable[InputFile], run: _Run) -> list[tuple[InputFile, SourceKind]]:
    out: list[tuple[InputFile, SourceKind]] = []
    for f in files:
        kind = registry.kind_for_file(f.path.name)
        if kind is None:
            run.ignored.append((f.name, "not a recognised input (YYYY-MM-<force>-street.csv, "
                                f"{registry.local_patterns()})"))
        else:
            out.append((f, kind))
    return out


@dataclass
class _Run:
    """Mutable state of one ingest while it reads; frozen into an IngestReport at the end."""

    con: duckdb.DuckDBPyConnection
    known_hashes: set[str]
    context: ReadContext
    problems: list[Problem] = dataclasses.field(default_factory=list)
    unreadable: list[str] = dataclasses.field(default_factory=list)
    ignored: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    known: list[str] = dataclasses.field(default_factory=list)
    street: tuple[FileStats, ...] = ()
    empty: list[FileCheck] = dataclasses.field(default_factory=list)
    local: list[tuple[LocalResult, str, pd.DataFrame, SourceKind]] = dataclasses.field(
        default_factory=list)
    names_read: dict[str, str] = dataclasses.field(default_factory=dict)  # name -> sha256
    unread_lines: list[tuple[str, int]] = dataclasses.field(default_factory=list)

    # -- street files
    def read_street(self, files: Sequence[StreetFile], work: Path, batch_bytes: int) -> None:
        scratch = work / "clean"
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            checks = pool.map(lambda f: police_uk.check_street_file(f, scratch), files)
            read = police_uk.read_street_files(self.con, self._new_checks(checks), scratch,
                                               table="police_counts", batch_bytes=batch_bytes)
        self.street, same = _same_force_month(read.stats)
        self.problems.extend(read.problems)
        self.problems.extend(same)

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
                self.unread_lines.append((name, check.lines))
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

    # -- local files
    def read_local(self, files: Sequence[tuple[InputFile, SourceKind]]) -> None:
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
            if kind.read is None:  # only kinds with prefixes, all of which have readers
                continue
            frame, problems = kind.read(f.path, self.context)
            problems = _renamed(problems, str(f.path), f.name)
            self.problems.extend(problems)
            rejected = sum(p.count for p in problems
                           if p.severity == SEVERITY_ERROR and p.line is not None)
            self.local.append((LocalResult(f.name, kind.kind, len(frame), rejected), sha, frame,
                               kind))

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
        inputs += [(sha, r.name, r.kind, r.rows) for r, sha, _, _ in self.local]
        if inputs:
            con.register("run_inputs", pd.DataFrame(inputs, columns=["sha256", "path", "kind",
                                                                     "rows"]))
            con.execute("INSERT INTO input_files SELECT sha256, path, kind, rows, now() "
                        "FROM run_inputs")
            con.unregister("run_inputs")
        for result, _, frame, kind in self.local:
            _write_local(con, kind, frame, result.name)
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
            local=tuple(r for r, _, _, _ in self.local), known=tuple(self.known),
            ignored=tuple(self.ignored), unreadable=tuple(dict.fromkeys(self.unreadable)),
            unread=tuple(self.unread_lines),
            problems=tuple(self.problems) + (rebuilt.problems if rebuilt else ()),
            gaps=rebuilt.gaps if rebuilt else (),
            partnerships=rebuilt.partnerships if rebuilt else (),
            outside=rebuilt.outside if rebuilt else (0, 0),
            written=written, strict=strict)


def _same_force_month(stats: Sequence[FileStats]) -> tuple[tuple[FileStats, ...],
                                                            list[Problem]]:
    """Of two files for one force and month, the later is used: the earlier's rows are
    counted as superseded (not kept), and one warning names both and the one used."""
    out = list(stats)
    last: dict[tuple[str, str], int] = {}
    problems: list[Problem] = []
    for i, s in enumerate(stats):
        key = (s.force, s.month)
        if key in last:
            j = last[key]
            earlier = out[j]
            out[j] = dataclasses.replace(earlier, kept=0, no_lsoa=0,
                                         superseded=earlier.superseded + earlier.kept)
            problems.append(Problem(
                earlier.name, police_uk.RULE_SAME_FORCE_MONTH,
                f"one file for {s.force} {s.month}",
                f"two: this and {s.name}; {s.name} is used ({s.kept:,} rows kept), "
                f"this file's {earlier.kept:,} are not counted", severity=SEVERITY_WARNING))
        last[key] = i
    return tuple(out), problems


def _renamed(problems: Iterable[Problem], path: str, name: str) -> list[Problem]:
    """Problems naming an extracted zip member by its archive name, not the temp path."""
    return [dataclasses.replace(p, file=name) if p.file == path else p for p in problems]


def _write_local(con: duckdb.DuckDBPyConnection, kind: SourceKind, frame: pd.DataFrame,
                 file: str) -> None:
    """Upsert a local file's rows into its kind's table: the same key replaces a row held."""
    if frame.empty or kind.store is None:
        return
    con.register("run_local", frame)
    try:
        kind.store(con, frame, file)
    finally:
        con.unregister("run_local")
