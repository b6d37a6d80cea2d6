"""Every kind of input ingest knows, in the order their series are built.

Ingest goes over :data:`KINDS` to recognise a local file (by the start of its
name), read it, store its rows and build its measures' series; nothing else in
ingest names a kind.  A new kind of input is a module defining one
:class:`~cdrp_lib.sources.kind.SourceKind` and one line here (and its table in
``cdrp_lib.store.SCHEMA``).
"""

from __future__ import annotations

from cdrp_lib.sources import csp_lookup, domestic_abuse, partner_series, population, survey
from cdrp_lib.sources.kind import SourceKind
from cdrp_lib.sources.police_uk import series as police_series

KINDS: tuple[SourceKind, ...] = (
    police_series.KIND,
    domestic_abuse.KIND,
    survey.KIND,
    population.KIND,
    partner_series.KIND,
    csp_lookup.KIND,
)
BY_KIND: dict[str, SourceKind] = {k.kind: k for k in KINDS}


def kind_for_file(name: str) -> SourceKind | None:
    """The local kind whose prefix starts the file's name (any case), if any."""
    base = name.lower()
    return next((k for k in KINDS for prefix in k.prefixes if base.startswith(prefix)), None)


def local_patterns() -> str:
    """``domestic_abuse*.csv, survey*.csv, ...``: the local file names ingest reads."""
    return ", ".join(f"{prefix}*.csv" for k in KINDS for prefix in k.prefixes)
