"""Ingest: discover the inputs, read each by kind, write the store, rebuild the series.

One call, :func:`ingest`, turns any mix of data.police.uk street files (folders,
flat folders, zips), domestic-abuse extracts, survey files, population files and
partner agencies' series (every kind in cdrp_lib.sources.registry) into the
store, and returns an :class:`IngestReport` of everything it found.

* Idempotent: every input file is keyed by its sha256; a known file is skipped.
  A new file for a force and month the store already holds replaces that month.
* All or nothing: the writes are one transaction, and ``strict`` writes nothing
  when any row or file is rejected.
* Series are rebuilt from ``police_counts`` (and the local tables) after every
  ingest, recomputing only the force-months and partnerships that changed
  (``incremental``), so a new month costs about as much in a full store as in an
  empty one, and a new params partnership or measure needs no migration:
  partnerships are every district found in the LSOA names plus the
  params partnerships; a partnership's series runs from the first to the last
  month published by the forces whose rows fall in its area, and a month its
  principal force (the one contributing most rows) did not publish is NULL.
"""

from cdrp_lib.ingest.rebuild import Rebuilt, rebuild
from cdrp_lib.ingest.report import (
    KIND_DOMESTIC_ABUSE,
    KIND_PARTNER,
    KIND_POPULATION,
    KIND_STREET,
    KIND_SURVEY,
    LOCAL_PREFIXES,
    RULE_GAP,
    RULE_REPLACED,
    RULE_UNKNOWN_PARTNERSHIP,
    RULE_UNRESOLVED_EVENT,
    SYNTHETIC_FORCES,
    IngestReport,
    LocalResult,
    format_report,
    gap_ranges,
)
from cdrp_lib.ingest.run import ingest

__all__ = [
    "KIND_DOMESTIC_ABUSE", "KIND_PARTNER", "KIND_POPULATION", "KIND_STREET", "KIND_SURVEY",
    "LOCAL_PREFIXES",
    "RULE_GAP", "RULE_REPLACED", "RULE_UNKNOWN_PARTNERSHIP", "RULE_UNRESOLVED_EVENT",
    "SYNTHETIC_FORCES", "IngestReport", "LocalResult", "Rebuilt", "format_report",
    "gap_ranges", "ingest", "rebuild",
]
