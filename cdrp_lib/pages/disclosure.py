"""figures.json withholds what the page withholds (methods §9)."""

from __future__ import annotations

from typing import Any

from cdrp_lib.assessment import Assessment
from cdrp_lib.stats.disclosure import SENSITIVE_THEMES


def _small(x: Any, threshold: int) -> bool:
    return isinstance(x, (int, float)) and 0 < x < threshold


def public_json(a: Assessment) -> dict[str, Any]:
    """:meth:`Assessment.to_json` with every figure disclosure control withholds blanked.

    The fields assess() flagged (``suppressed_fields``) become ``null``; so do
    the monthly values of flagged history and SPC months and, for a sensitive
    theme's counts, any month of 1 to threshold-1 (methods §9: what charts and
    tables never show is not published in the JSON either).
    """
    doc = a.to_json()
    hidden = set(a.suppressed_fields)
    for name in hidden - {"history", "spc_points"}:
        if name in doc:
            doc[name] = None
    k = a.settings.suppression_threshold
    sensitive_counts = a.kind == "count" and (a.suppressed or a.theme in SENSITIVE_THEMES)
    hidden_months: set[str] = set()
    for point in doc["history"]:
        small = sensitive_counts and (_small(point["value"], k) or _small(point["rolling_12"], k))
        if point["suppressed"] or small:
            hidden_months.add(point["month"])
            point["value"] = None
            point["rolling_12"] = None
        elif point["rolling_suppressed"]:  # its 12 months include a hidden one
            point["rolling_12"] = None
    if "spc_points" in hidden or hidden_months or sensitive_counts:
        for point in doc["spc_points"]:
            if (point["month"] in hidden_months or (sensitive_counts and _small(point["value"], k))
                    or ("spc_points" in hidden and a.kind == "proportion")):
                point["value"] = None
    return doc
