"""How a failure reads in the summary table, the manifest and the public index: one line.

A page's error is what the notebook raised (Papermill's ename and first line),
never a traceback, path or user name (:func:`cdrp_lib.site.one_line_error`).
"""

from __future__ import annotations


def one_line(message: str) -> str:
    """One line with no paths or user/host names, fit for the public index."""
    from cdrp_lib.site import one_line_error

    return one_line_error(message)


def describe_failure(exc: BaseException) -> str:
    """``ValueError: no series for x`` from papermill's error, or the exception's type and text."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        evalue = str(exc.evalue).strip().splitlines()
        return one_line(f"{exc.ename}: {evalue[0]}" if evalue else str(exc.ename))
    text = str(exc).strip().splitlines()
    return one_line(f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__)
