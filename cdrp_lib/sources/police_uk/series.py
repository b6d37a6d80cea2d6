"""Street files as a source kind: their store table and the police measures' series.

The street files are read by this package's own DuckDB scan (``reading``), not by a
row reader, so the kind has no ``read``; its rows are ``police_counts``, and its series
count each police measure's categories for every partnership and month of its forces'
range (NULL in a month its principal force did not publish).  The counts by
partnership (``member_counts``), each partnership's principal force and range
(``spans_now``) and which rows to rewrite (``ctx.police_scope``) are the rebuild's
(cdrp_lib.ingest.incremental), made before any builder runs.
"""

from __future__ import annotations

from cdrp_lib.errors import Problem
from cdrp_lib.sources.kind import SeriesContext, SourceKind

KIND_STREET = "police-street"
#: Every month from ``first`` to ``last`` of a row, as ``YYYY-MM`` (DuckDB).
MONTH_GRID = ("strftime(unnest(generate_series(CAST(first || '-01' AS DATE), "
              "CAST(last || '-01' AS DATE), INTERVAL 1 MONTH)), '%Y-%m')")


def police_series(ctx: SeriesContext) -> list[Problem]:
    """Police measures for every partnership and month of its forces' range; NULL in a gap.

    Only the rows in ``ctx.police_scope`` are deleted and written again (all of them
    after a full change).
    """
    import pandas as pd

    con, scope = ctx.con, ctx.police_scope
    police = [(mid, cat) for mid, m in ctx.measures.items() if m.source == "police"
              for cat in m.categories]
    con.register("measure_categories", pd.DataFrame(police, columns=["measure", "category"],
                                                    dtype=object))
    try:
        con.execute("DELETE FROM series WHERE measure IN (SELECT measure FROM "
                    f"measure_categories) AND {scope('series.')}")
        con.execute(f"""
            INSERT INTO series
            WITH grid AS (
                SELECT partnership, month FROM (
                    SELECT partnership, {MONTH_GRID} AS month FROM spans_now
                    WHERE first IS NOT NULL) AS g0
                WHERE {scope("g0.")}),
            counts AS (
                SELECT c.partnership, c.month, mc.measure, sum(c.n) AS n
                FROM member_counts c JOIN measure_categories mc ON mc.category = c.crime_type
                WHERE {scope("c.")}
                GROUP BY ALL),
            published AS (SELECT force, month FROM force_months WHERE rows > 0 GROUP BY ALL)
            SELECT g.partnership, ms.measure, g.month,
                   CASE WHEN pub.force IS NOT NULL THEN CAST(coalesce(c.n, 0) AS DOUBLE) END,
                   CAST(NULL AS DOUBLE)
            FROM grid g JOIN spans_now p USING (partnership)
            CROSS JOIN (SELECT DISTINCT measure FROM measure_categories) ms
            LEFT JOIN published pub ON pub.force = p.force AND pub.month = g.month
            LEFT JOIN counts c ON c.partnership = g.partnership AND c.month = g.month
                              AND c.measure = ms.measure
            ORDER BY 1, 2, 3""")
    finally:
        con.unregister("measure_categories")
    return []


KIND = SourceKind(kind=KIND_STREET, prefixes=(), table="police_counts", read=None, store=None,
                  series=police_series)
