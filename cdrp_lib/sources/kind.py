"""What a kind of input is to ingest: one reader, one store table, one series builder.

Every kind of input (street files, the domestic-abuse extract, survey waves,
populations, partner agencies' series) is one module that defines one
:class:`SourceKind`; :mod:`cdrp_lib.sources.registry` lists them, and
:mod:`cdrp_lib.ingest` reads, stores and builds series by going over that list,
never by naming a kind.  A new kind is one module and one line in the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cdrp_lib.areas import PartnershipArea
from cdrp_lib.errors import Problem
from cdrp_lib.params import Measure
from cdrp_lib.sources.police_uk.rules import SEVERITY_WARNING

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

RULE_UNKNOWN_PARTNERSHIP = "unknown partnership"

#: ``(partnership id) -> (name, area, "auto" | "params")``: every partnership of a rebuild.
Areas = Mapping[str, tuple[str, PartnershipArea, str]]
#: Given ``(lsoa code, lsoa name)`` pairs, ``(partnership, code, name)`` for each area
#: containing each (the rebuild's own membership rule, cdrp_lib.ingest.rebuild).
Placer = Callable[[Sequence[tuple[str, str]]], list[tuple[str, str, str]]]


@dataclass(frozen=True)
class ReadContext:
    """What a reader may need beyond its file: the measures (partner series name them)."""

    measures: Mapping[str, Measure]


@dataclass(frozen=True)
class SeriesContext:
    """What a series builder is given by the rebuild.

    ``redo`` says whether this kind's series must be written again: its inputs, the
    measures it serves or the partnerships' areas changed since the last rebuild
    (always True for a kind with no :attr:`SourceKind.fingerprint`).  A builder
    that is not to redo its series still finds its problems again, since the
    rebuild's problems are replaced on every ingest.
    """

    con: duckdb.DuckDBPyConnection
    measures: Mapping[str, Measure]
    areas: Areas
    lsoas: Sequence[tuple[str, str]]
    place: Placer
    redo: bool
    #: SQL condition on ``alias.partnership``/``alias.month`` of the police rows to redo.
    police_scope: Callable[[str], str]


Reader = Callable[[Path, ReadContext], "tuple[pd.DataFrame, list[Problem]]"]
Storer = Callable[["duckdb.DuckDBPyConnection", "pd.DataFrame", str], None]
Builder = Callable[[SeriesContext], list[Problem]]
Fingerprint = Callable[["duckdb.DuckDBPyConnection", Mapping[str, Measure], Areas], str]


@dataclass(frozen=True)
class SourceKind:
    """One kind of input.

    ``kind`` names it in ``input_files`` and the ingest report; ``prefixes`` are the
    starts of the local file names it reads (none for street files, which
    ``police_uk.discover`` finds by their own names); ``table`` is the store table
    its rows go to (``store`` upserts a file's rows, the file named); ``series``
    (re)writes its measures' rows of ``series``; ``fingerprint`` digests what its
    series are made from, so an unchanged kind is left alone (None: rebuilt every
    time, being cheap); ``accounts`` says its rows are the file's rows one for one,
    so the report gives rows read, kept and rejected.
    """

    kind: str
    prefixes: tuple[str, ...]
    table: str
    read: Reader | None
    store: Storer | None
    series: Builder | None
    fingerprint: Fingerprint | None = None
    accounts: bool = False
    #: Rules of the problems ``series`` finds: replaced in data_quality on every rebuild.
    rebuilt_rules: tuple[str, ...] = ()


def sql_list(values: Sequence[str]) -> str:
    """``(?, ?, ...)`` for ``values`` (at least one)."""
    return "(" + ", ".join("?" for _ in values) + ")"


def unknown_partnership_problems(ids: Sequence[str], areas: Mapping[str, object],
                                 what: str) -> list[Problem]:
    """One warning per id given to rows that is no partnership of the store or params."""
    unknown = sorted({str(i) for i in ids if i and str(i) not in areas})
    return [Problem(what, RULE_UNKNOWN_PARTNERSHIP, "a district in the police data or a params "
                    "partnership", u, column="partnership", severity=SEVERITY_WARNING)
            for u in unknown]


def digest(*parts: object) -> str:
    """A short stable digest of JSON-able parts, for fingerprints."""
    import hashlib
    import json

    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
