"""Stale bulletins: published, but made from inputs that have changed since.

New data can change a past month (a late file, a correction), and an edit to
params, a notebook or the library changes what a page would say.  A batch
re-makes only the bulletins it is asked for, so bulletins of other months and
partnerships may stay published with older figures.  :func:`stale_bulletins`
compares each published page's recorded inputs (``bulletin.json``) with what
they are now, so that the index marks each stale bulletin ("made from older
data: re-run with --month 2025-11") and ``cdrp run --stale`` re-makes exactly
those.  The renderer and kernel a page was made with are taken as they were
recorded: they are how it was made, not what it was made from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdrp_lib.batch.jobs import BatchSettings
from cdrp_lib.batch.plan import (
    StoreFacts,
    commentary_digest,
    library_digest,
    pages_digest,
    params_digest,
    partnership_params_digests,
    theme_pages,
)

# Inputs recorded per page, as a reader of the index would call them.
INPUT_WORDS: Mapping[str, str] = {
    "store": "data",
    "params": "params",
    "params:partnership": "params",
    "themes": "params",
    "commentary": "commentary",
    "cdrp_lib": "cdrp_lib",
}
NOTEBOOK_WORD = "notebooks"
HOW_MADE = frozenset({"renderer", "kernel"})


@dataclass(frozen=True)
class Stale:
    """A published bulletin whose inputs changed: what changed, and the pages it holds."""

    partnership: str
    month: str
    themes: tuple[str, ...]
    changed: tuple[str, ...]  # words from INPUT_WORDS / NOTEBOOK_WORD, in a fixed order

    @property
    def mark(self) -> str:
        """The index's line: ``made from older data: re-run with --month 2025-11``."""
        return f"made from older {' and '.join(self.changed)}: re-run with --month {self.month}"


def _notebook_digest(notebooks_dir: Path, notebook: str) -> str | None:
    path = notebooks_dir / f"{notebook}.ipynb"
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def stale_bulletins(settings: BatchSettings, facts: StoreFacts,
                    records: Iterable[Mapping[str, Any]],
                    references: Mapping[str, set[str]]) -> list[Stale]:
    """Every published bulletin (``records``: their ``bulletin.json``) made from older inputs.

    A bulletin without per-page records (made by an older cdrp) cannot be
    compared and is not listed.  A notebook that no longer exists is not a
    change (the page cannot be re-made from it either).
    """
    records = [r for r in records if isinstance(r.get("pages"), dict)]
    ids = {str(r["partnership"]) for r in records}
    shared = {"store": facts.digest, "params": params_digest(settings.params_dir),
              "cdrp_lib": library_digest()}
    own_params = partnership_params_digests(settings.params_dir, ids, references)
    lists = theme_pages(settings.params_dir, ids)
    notebooks: dict[str, str | None] = {}
    out: list[Stale] = []
    for record in records:
        pid, month = str(record["partnership"]), str(record["month"])
        named = {p.id: p.notebook for p in lists[pid]}
        now = {**shared, "params:partnership": own_params[pid],
               "commentary": commentary_digest(settings.params_dir, pid, month),
               "themes": pages_digest(lists[pid])}
        changed: set[str] = set()
        for theme, page in record["pages"].items():
            inputs = page.get("inputs") if isinstance(page, dict) else None
            if not isinstance(inputs, dict):
                continue
            notebook = named.get(str(theme), str(theme))
            if notebook not in notebooks:
                notebooks[notebook] = _notebook_digest(settings.notebooks_dir, notebook)
            current = {**now, f"notebook:{theme}": notebooks[notebook]}
            for name, digest in current.items():
                if digest is None or name in HOW_MADE:
                    continue
                if inputs.get(name) != digest:
                    changed.add(INPUT_WORDS.get(name, NOTEBOOK_WORD))
        if changed:
            order = [*dict.fromkeys(INPUT_WORDS.values()), NOTEBOOK_WORD]
            out.append(Stale(pid, month, tuple(str(t) for t in record.get("themes", [])),
                             tuple(w for w in order if w in changed)))
    return out
