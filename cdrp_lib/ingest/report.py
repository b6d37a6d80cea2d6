"""What one ingest found (:class:`IngestReport`), its constants, and its text report.

The report as text is what `cdrp ingest` prints.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cdrp_lib.errors import PROBLEMS_PER_RULE, Problem
from cdrp_lib.periods import Month
from cdrp_lib.sources import registry

# The kinds' names and the rebuild's rules, as cdrp_lib.ingest has always exported them.
from cdrp_lib.sources.domestic_abuse import KIND_DOMESTIC_ABUSE as KIND_DOMESTIC_ABUSE
from cdrp_lib.sources.domestic_abuse import RULE_UNRESOLVED_EVENT as RULE_UNRESOLVED_EVENT
from cdrp_lib.sources.kind import RULE_UNKNOWN_PARTNERSHIP as RULE_UNKNOWN_PARTNERSHIP
from cdrp_lib.sources.partner_series import KIND_PARTNER as KIND_PARTNER
from cdrp_lib.sources.police_uk import (
    RULE_BAD_CRIME_ID,
    RULE_BAD_LATITUDE,
    RULE_BAD_LSOA,
    RULE_EMPTY_FOLDER,
    RULE_SAME_FORCE_MONTH,
    SEVERITY_ERROR,
    SEVERITY_WARNING,
    FileStats,
)
from cdrp_lib.sources.police_uk.series import KIND_STREET as KIND_STREET
from cdrp_lib.sources.population import KIND_POPULATION as KIND_POPULATION
from cdrp_lib.sources.survey import KIND_SURVEY as KIND_SURVEY

if TYPE_CHECKING:
    import pandas as pd


# Local files are recognised by the start of their name (docs/data.md): the registry's.
LOCAL_PREFIXES: tuple[tuple[str, str], ...] = tuple(
    (prefix, k.kind) for k in registry.KINDS for prefix in k.prefixes)
# The demo generators' fictional forces (cdrp_lib.demo: the county's and the national
# demo's; tests/test_demo.py keeps them in step): districts they serve are flagged synthetic.
SYNTHETIC_FORCES: frozenset[str] = frozenset({
    "demoshire", "aldermoor", "brightwater", "cresswold", "drayhurst", "elverdale", "fairholt",
    "glenmarch", "harrowfield"})

RULE_GAP = "publication gap"
RULE_REPLACED = "force month replaced"
# Rows rebuilt from the whole store on every ingest (not tied to one input file).
_REBUILT_RULES = (RULE_GAP, RULE_UNKNOWN_PARTNERSHIP,
                  *(rule for k in registry.KINDS for rule in k.rebuilt_rules))

LocalReader = Callable[[Path], "tuple[pd.DataFrame, list[Problem]]"]


# --------------------------------------------------------------------------- report

@dataclass(frozen=True)
class LocalResult:
    """One local file (domestic abuse, survey, population, partner series): rows kept, and
    for a kind whose rows are the file's one for one, rows rejected (by line)."""

    name: str
    kind: str
    rows: int
    rejected: int = 0


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
    outside: tuple[int, int] = (0, 0)   # rows, districts policed by forces not in the store
    unread: tuple[tuple[str, int], ...] = ()  # (file, lines) of files nothing was read from

    @property
    def rejects_by_rule(self) -> dict[str, int]:
        """Rejected rows and files, by rule (error-severity problems)."""
        counts: Counter[str] = Counter()
        for p in self.problems:
            if p.severity == SEVERITY_ERROR:
                counts[p.rule] += p.count  # a capped rule's summary stands for the rest
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    @property
    def exit_code(self) -> int:
        """1 when a file was unreadable, or under ``strict`` when anything was rejected."""
        if self.unreadable or (self.strict and self.rejects_by_rule):
            return 1
        return 0


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
    lines.append(_rows_line(report))
    for r in report.local:
        accounts = registry.BY_KIND[r.kind].accounts
        lines.append(f"  {r.kind}: {r.name}: {r.rows:,} rows kept"
                     + (f", {r.rejected:,} rejected" if accounts and r.rejected else ""))
    lines.extend(_accounted_lines(report))
    rejects = report.rejects_by_rule
    lines.append("Rejects by rule: " + (", ".join(f"{rule} {n:,}" for rule, n in rejects.items())
                                         if rejects else "none"))
    lines.append("Publication gaps: " + (", ".join(gap_ranges(report.gaps))
                                          if report.gaps else "none"))
    by_source = Counter(source for _, _, source in report.partnerships)
    shown = ", ".join(pid for pid, _, _ in report.partnerships[:12])
    more = len(report.partnerships) - 12
    lines.append(f"Partnerships: {len(report.partnerships)} ({by_source['auto']} found in the "
                 f"data, {by_source['params']} from params)"
                 + (f": {shown}" + (f" and {more} more" if more > 0 else "")
                    if report.partnerships else ""))
    rows, districts = report.outside
    if districts:
        lines.append(f"  {rows:,} rows located in {districts:,} districts policed by forces "
                     "not in the store (no partnership)")
    lines.extend(_ignored_lines(report.ignored))
    warnings: Counter[str] = Counter()
    for p in report.problems:
        if p.severity == SEVERITY_WARNING:
            warnings[p.rule] += p.count
    if warnings:
        lines.append("Warnings: " + ", ".join(f"{rule} {n:,}" for rule, n in
                                               sorted(warnings.items())))
        lines.extend(f"  {p}" for p in report.problems
                     if p.severity == SEVERITY_WARNING and p.rule in SHOWN_WARNINGS)
        lines.extend(f"  {p}" for p in _shown_problems(
            [p for p in report.problems if p.severity == SEVERITY_WARNING
             and p.rule in VALUE_WARNINGS], max_problems))
    errors = [p for p in report.problems if p.severity == SEVERITY_ERROR]
    if errors:
        listed = _shown_problems(errors, max_problems)
        lines.append(f"Problems ({len(listed)} of {sum(p.count for p in errors):,} shown; the "
                     f"first {PROBLEMS_PER_RULE} per file and rule are in the store's "
                     "data_quality table):")
        lines.extend(f"  {p}" for p in listed)
    return "\n".join(lines)


#: Warnings about whole files, printed in full (row warnings are only counted).
SHOWN_WARNINGS = frozenset({RULE_SAME_FORCE_MONTH, RULE_REPLACED, RULE_EMPTY_FOLDER})
#: Warnings about values in kept rows, printed with their lines like problems.
VALUE_WARNINGS = frozenset({RULE_BAD_LSOA, RULE_BAD_CRIME_ID, RULE_BAD_LATITUDE})
#: Problems printed per file and rule before the rest are summed up in one line.
PER_RULE_SHOWN = 3
#: Ignored files named per reason; the rest are counted.
IGNORED_SHOWN = 10


def _rows_line(report: IngestReport) -> str:
    """Every data row of every street file: kept, rejected, dropped, superseded or unread."""
    st = report.street
    unread = sum(s.unread for s in st) + sum(n for _, n in report.unread)
    superseded = sum(s.superseded for s in st)
    total = sum(s.rows for s in st) + sum(n for _, n in report.unread)
    return (f"Rows: {total:,} read, {sum(s.kept for s in st):,} kept, "
            f"{sum(s.rejected for s in st):,} rejected, "
            f"{sum(s.duplicates for s in st):,} repeated Crime IDs dropped (first kept), "
            + (f"{superseded:,} in a file another for its force and month replaced, "
               if superseded else "")
            + (f"{unread:,} unread (in files that could not be read), " if unread else "")
            + f"{sum(s.no_lsoa for s in st):,} with no LSOA (force only)")


def _accounted_lines(report: IngestReport) -> list[str]:
    """``Partner series rows: 40 read, 38 kept, 2 rejected; 3 held in no partnership``.

    For each kind whose rows are its files' rows one for one: every data row of this
    ingest's files kept or rejected (a file rejected whole is a problem of its own), and
    the rows held in the store that no partnership takes (the rebuild's, store-wide).
    """
    out = []
    for kind in registry.KINDS:
        files = [r for r in report.local if r.kind == kind.kind]
        if not kind.accounts or not files:
            continue
        kept, rejected = sum(r.rows for r in files), sum(r.rejected for r in files)
        unplaced = sum(p.count for p in report.problems if p.rule in kind.rebuilt_rules)
        out.append(f"{kind.kind} rows: {kept + rejected:,} read, {kept:,} kept, "
                   f"{rejected:,} rejected" + (f"; {unplaced:,} held in the store are in no "
                                              "partnership (not in any series)"
                                              if unplaced else ""))
    return out


def _ignored_lines(ignored: Iterable[tuple[str, str]]) -> list[str]:
    """``Ignored 2 (reason): a.txt, b.pdf``: every ignored file named, up to a cap per reason."""
    by_reason: dict[str, list[str]] = {}
    for name, reason in ignored:
        by_reason.setdefault(reason, []).append(name)
    out = []
    for reason, names in sorted(by_reason.items()):
        more = len(names) - IGNORED_SHOWN
        out.append(f"Ignored {len(names)} ({reason}): " + ", ".join(names[:IGNORED_SHOWN])
                   + (f" and {more} more" if more > 0 else ""))
    return out


def _shown_problems(errors: list[Problem], limit: int) -> list[Problem]:
    """Up to ``limit`` problems, at most :data:`PER_RULE_SHOWN` per file and rule.

    The rest of a file's rule are folded into one line saying how many more, so a
    file of bad rows does not hide the other files' problems.
    """
    groups: dict[tuple[str, str], list[Problem]] = {}
    for p in errors:
        groups.setdefault((p.file, p.rule), []).append(p)
    shown: list[Problem] = []
    for (file, rule), group in groups.items():
        shown.extend(group[:PER_RULE_SHOWN])
        more = sum(p.count for p in group[PER_RULE_SHOWN:])
        if more:
            shown.append(Problem(file, rule, group[0].expected,
                                 f"{more:,} more like this", count=more))
    return shown[:limit]


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
