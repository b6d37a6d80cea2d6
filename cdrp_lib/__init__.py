"""cdrp_lib: the library behind Community Safety Partnership performance bulletins.

The public API is what a notebook needs, and nothing else::

    import cdrp_lib as cdrp

    bulletin = cdrp.open_bulletin("ashcombe", "2025-12")   # params once, store read-only,
    page = bulletin.theme("violence")                       # every measure assessed once
    page.header()                                           # each part shows itself as published
    for target in page.targets():                           # one section per target
        display(target.heading(), target.performance_chart(), target.narrative())
    page.footer()
    page.write()                                            # the CSVs and figures JSON to publish

* :func:`open_bulletin` -> :class:`Bulletin`; ``bulletin.theme(id)`` -> :class:`ThemePage`,
  ``bulletin.summary()`` -> :class:`SummaryPage`; ``page.targets()`` ->
  :class:`TargetSection` each.
* Every part is a :class:`Part`: it displays itself in JupyterLab exactly as on the
  published page and gives its public figures as a DataFrame with ``.frame()``.
* :func:`show_chart` publishes an analyst's own matplotlib figure in place, with
  its alt text.

Everything else (sources, store, stats, assess, charts, tables, batch, render,
site, cli) is the library's own machinery: importable, but not an API a
notebook should lean on.  The tree follows the data flow (ARCHITECTURE.md).
Names are imported lazily so that ``cdrp --help`` and kernels start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cdrp_lib.version import __version__ as __version__

__all__ = [
    "Bulletin",
    "Part",
    "SummaryPage",
    "TargetSection",
    "ThemePage",
    "__version__",
    "open_bulletin",
    "show_chart",
]

_LAZY = {
    "Bulletin": "cdrp_lib.pages",
    "Part": "cdrp_lib.pages",
    "SummaryPage": "cdrp_lib.pages",
    "TargetSection": "cdrp_lib.pages",
    "ThemePage": "cdrp_lib.pages",
    "open_bulletin": "cdrp_lib.pages",
    "show_chart": "cdrp_lib.analyst",
}

if TYPE_CHECKING:
    from cdrp_lib.analyst import show_chart
    from cdrp_lib.pages import (
        Bulletin,
        Part,
        SummaryPage,
        TargetSection,
        ThemePage,
        open_bulletin,
    )


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cdrp_lib' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
