"""The bulletin's tables, from the public view of Assessments: accessible HTML and CSV.

Every table is a frozen :class:`Table` holding its cells, its HTML and the CSV of
exactly the text shown, so the download and the page cannot disagree.  Numbers
are formatted by :mod:`cdrp_lib.stats.rounding` (ROUND_HALF_UP, thousands
separators, signed percentages with one decimal), the same helpers the narrative
uses, so a table and the sentence beside it print the same figure.

Safety and accessibility:

* every text from params or data is escaped in one place
  (:func:`cdrp_lib.tables.base._cell_html`); markup is built only from constants;
* statuses are always words ("Above Expected Level", "Yes", "G Green"); the
  CSS classes (``status-good``/``status-bad``/``status-neutral``, ``rag-G`` ...
  ``rag-none``, ``not-assessed``) only add colour;
* a figure that cannot be given is a grey "–" with the short reason ("not
  applicable" for a part that does not apply to the measure, such as the
  past-month test of a proportion); a figure withheld by disclosure control
  (methods §9) is not in the public view a table reads
  (:func:`cdrp_lib.public.public_view`; an Assessment passed instead is viewed
  first), so it cannot be printed: the table shows the view's mark or "withheld";
* a survey's status is its latest wave against the target allowing for the
  95% interval (met / within the margin of error / significantly short), the
  same test its rating uses (:func:`cdrp_lib.stats.rag.survey_target_position`).

Modules: :mod:`~cdrp_lib.tables.base` (Cell, Table, HTML, CSV),
:mod:`~cdrp_lib.tables.performance`, :mod:`~cdrp_lib.tables.summary` (outcomes,
targets, sources, metadata), :mod:`~cdrp_lib.tables.survey`,
:mod:`~cdrp_lib.tables.repeat`, :mod:`~cdrp_lib.tables.peers`.
"""

from __future__ import annotations

from cdrp_lib.tables.base import (
    NOT_APPLICABLE,
    REASON_SHORT,
    Cell,
    Table,
    download_link,
    safe_csv_cell,
    short_reason,
)
from cdrp_lib.tables.peers import peers_table
from cdrp_lib.tables.performance import (
    ROW_COMPARISON,
    ROW_INCREASE,
    ROW_PAST_MONTH,
    ROW_PEER_DISTANCE,
    ROW_PEER_POSITION,
    ROW_REDUCTION,
    ROW_TREND,
    performance_table,
)
from cdrp_lib.tables.repeat import repeat_table
from cdrp_lib.tables.summary import (
    BulletinMeta,
    MovementRow,
    OutcomeRow,
    SourceRow,
    metadata_block,
    movements_table,
    outcome_row,
    outcome_rows,
    outcome_table,
    rag_cell,
    shared_row,
    sources_table,
    targets_table,
    unset_row,
)
from cdrp_lib.tables.survey import survey_table

__all__ = [
    "NOT_APPLICABLE",
    "REASON_SHORT",
    "ROW_COMPARISON",
    "ROW_INCREASE",
    "ROW_PAST_MONTH",
    "ROW_PEER_DISTANCE",
    "ROW_PEER_POSITION",
    "ROW_REDUCTION",
    "ROW_TREND",
    "BulletinMeta",
    "Cell",
    "MovementRow",
    "OutcomeRow",
    "SourceRow",
    "Table",
    "download_link",
    "metadata_block",
    "movements_table",
    "outcome_row",
    "outcome_rows",
    "outcome_table",
    "peers_table",
    "performance_table",
    "rag_cell",
    "repeat_table",
    "safe_csv_cell",
    "shared_row",
    "short_reason",
    "sources_table",
    "survey_table",
    "targets_table",
    "unset_row",
]
