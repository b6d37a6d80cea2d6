"""Params checked once when a batch is planned, so a mistake is said first, not after every page.

A notebook validates the params folder as it opens its bulletin; a mistake in
one partnership's file found that way failed every bulletin of the batch, one
by one, after running all of their notebooks.  Planning now validates the
folder first (:func:`check_params`):

* a mistake in a file every bulletin reads (``measures.yaml``,
  ``bulletin.yaml``) stops the batch before anything runs, as a bad request does;
* a mistake in ``partnerships/<id>.yaml`` (or a lookup it uses) fails only the
  bulletins that read that file, that partnership's and those of partnerships
  naming it as a peer, parent or sub-area, with the file, line and key, before
  the others run; the others' notebooks read the partnerships that validate
  (:func:`cdrp_lib.assess.cached_params`).

It also gives planning what each partnership names
(:func:`~cdrp_lib.batch.plan.partnership_params_digests`), so an edit to one
partnership's file re-makes only the bulletins that read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cdrp_lib.errors import ParamsError

if TYPE_CHECKING:
    from cdrp_lib.params import Partnership


@dataclass(frozen=True)
class ParamsCheck:
    """What planning learnt from the params folder.

    ``references``: the partnerships each valid partnership's file names;
    ``broken``: per partnership id whose bulletins cannot be made, why, on one line.
    """

    references: dict[str, set[str]]
    broken: dict[str, str] = field(default_factory=dict)


def _references(partnerships: Mapping[str, Partnership]) -> dict[str, set[str]]:
    """Per partnership, the others its file names: peers, parent, sub-area partnerships."""
    out: dict[str, set[str]] = {}
    for pid, p in partnerships.items():
        subs = {t.sub_area.partnership for t in p.targets if t.sub_area is not None}
        named = {*p.peers, *subs, p.area.parent} - {pid, None}
        out[pid] = {str(n) for n in named}
    return out


def check_params(params_dir: Path, ids: Iterable[str] = ()) -> ParamsCheck:
    """Validate ``params_dir`` as the notebooks will; raise only for a file every bulletin reads.

    ``ids`` are the partnerships that may be in the batch: each whose own file,
    or a file it names, does not validate is in ``broken``.  Raises
    :class:`ParamsError` for ``measures.yaml`` or ``bulletin.yaml`` (nothing
    could be made).
    """
    from cdrp_lib.params import BULLETIN_FILE, load_bulletin, load_partnerships_apart

    valid, problems = load_partnerships_apart(params_dir)  # reads measures.yaml first
    if (params_dir / BULLETIN_FILE).is_file():
        load_bulletin(params_dir)
    references = _references(valid)
    broken: dict[str, str] = {}
    for pid in ids:
        bad = [stem for stem in sorted(problems)
               if stem == pid or stem in references.get(pid, set())]
        if bad:
            found = [p for stem in bad for p in problems[stem]]
            more = len(found) - 1
            broken[pid] = f"params: {found[0]}" + (f" (and {more} more)" if more else "")
    return ParamsCheck(references, broken)


def params_references(params_dir: Path) -> dict[str, set[str]]:
    """The partnerships each params partnership that validates names (see :func:`check_params`)."""
    from cdrp_lib.params import load_partnerships_apart

    try:
        return _references(load_partnerships_apart(params_dir)[0])
    except ParamsError:
        return {}
