"""RAG overrides over time (methods §11): whether one still applies, and what is said when not.

A partnership may replace a computed rating with its own (``rag_override`` in
its params, always with a reason, optionally ``by`` whom and ``until`` which
month).  Past ``until`` the override stops applying: the computed rating is
shown, the Assessment carries a note saying so (``rag_override_expired``), and
:func:`expired_overrides` gives the run one line per expired override to print,
so that a forgotten override is noticed rather than silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable

from cdrp_lib.assessment import Assessment
from cdrp_lib.params import RagOverride
from cdrp_lib.periods import Month
from cdrp_lib.stats.enums import Rag

__all__ = ["expired_note", "expired_overrides", "live_override"]


def live_override(override: RagOverride | None, month: str | Month) -> RagOverride | None:
    """``override`` when it applies to a bulletin for ``month``; ``None`` when absent or expired."""
    if override is None or not override.applies_in(month):
        return None
    return override


def expired_note(override: RagOverride | None, month: str | Month) -> str | None:
    """The note an Assessment carries when ``override`` has expired by ``month``, else ``None``.

    "the partnership's rating (Green, set by the Community Safety Manager) applied
    until November 2025 and has expired; the rating shown is computed".
    """
    if override is None or override.until is None or override.applies_in(month):
        return None
    who = f", set by {override.by}" if override.by else ""
    return (f"the partnership's rating ({Rag(override.rating).word}{who}) applied until "
            f"{Month.parse(override.until).label} and has expired; the rating shown is computed")


def expired_overrides(assessments: Iterable[Assessment]) -> list[str]:
    """One line per expired override, naming the partnership, the target and the month it ran to.

    Each override once, however many pages assessed its target.
    """
    lines = (f"{a.partnership}, target {a.target_id}, {Month.parse(a.month).label} bulletin: "
             f"{a.rag_override_expired} (extend its `until` or remove it in "
             f"partnerships/{a.partnership}.yaml)"
             for a in assessments if a.rag_override_expired)
    return list(dict.fromkeys(lines))
