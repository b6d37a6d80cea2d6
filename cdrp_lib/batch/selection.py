"""Which bulletins a batch makes, beyond one month's: the stale ones, or an unfinished run's.

``cdrp run --stale`` re-makes every published bulletin made from older inputs
(:mod:`cdrp_lib.batch.stale`), whatever its month; ``cdrp run --resume``
finishes the newest run whose manifest lists bulletins it did not finish
(interrupted by Ctrl-C, SIGTERM or SIGKILL), with that run's ``--force``, so a
forced run is finished without redoing what it completed.  Both come down to a
list of ``(partnership, month, themes)`` planned month by month with
:func:`~cdrp_lib.batch.plan.plan_jobs`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cdrp_lib.batch.jobs import BatchSettings, Job
from cdrp_lib.batch.manifest import MANIFEST_DIR
from cdrp_lib.batch.plan import StoreFacts, plan_jobs
from cdrp_lib.errors import NotFoundError


@dataclass(frozen=True)
class Wanted:
    """One bulletin to make: a partnership, a month, and its pages."""

    partnership: str
    month: str
    themes: tuple[str, ...]


@dataclass(frozen=True)
class Unfinished:
    """The bulletins the newest run did not finish, and whether it was a ``--force`` run."""

    run_id: str
    wanted: tuple[Wanted, ...]
    force: bool


def plan_wanted(settings: BatchSettings, facts: StoreFacts, wanted: Sequence[Wanted],
                references: Mapping[str, set[str]]) -> list[Job]:
    """Jobs for ``wanted``, planned per month and set of pages, latest month first.

    A partnership that no longer has data in the store cannot be made and is
    left out (it stays marked on the index).
    """
    with_data = {p.id for p in facts.partnerships if p.has_data}
    groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for w in wanted:
        if w.partnership in with_data:
            groups.setdefault((w.month, w.themes), []).append(w.partnership)
    jobs: list[Job] = []
    for (month, themes), ids in sorted(groups.items(), key=lambda g: g[0][0], reverse=True):
        jobs += plan_jobs(settings, month=month, partnerships=ids, themes=themes or None,
                          facts=facts, references=references)
    return jobs


def unfinished(settings: BatchSettings) -> Unfinished:
    """The newest run's unfinished bulletins; raises :class:`NotFoundError` when there are none."""
    folder = settings.runs_dir / MANIFEST_DIR
    # Run ids start with the time to the second; within a second, the last written.
    paths = sorted(folder.glob("*.json") if folder.is_dir() else [],
                   key=lambda p: (p.stem.split("-", 1)[0], p.stat().st_mtime_ns))
    if not paths:
        raise NotFoundError(f"{folder}: no run to resume (no manifest)")
    newest = paths[-1]
    try:
        doc = json.loads(newest.read_text(encoding="utf-8"))
        jobs = doc["jobs"]
        force = bool(doc["request"].get("force", False))
        wanted = tuple(Wanted(str(j["partnership"]), str(j["month"]), tuple(j["themes"]))
                       for j in jobs if j.get("status") == "interrupted")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise NotFoundError(f"{newest}: not a run manifest this version can resume") from None
    if not wanted:
        raise NotFoundError(f"nothing to resume: run {_run_id(newest)} finished every bulletin "
                            "it planned")
    return Unfinished(_run_id(newest), wanted, force)


def _run_id(path: Path) -> str:
    return path.stem
