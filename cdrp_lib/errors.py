"""The exception tree and the one shape every validation problem takes.

Every reader validates all of its input and reports every problem at once
(pandera style), so an analyst fixes a file in one pass instead of one error at
a time.  A problem always names the file, the line (or key) and the column, what
was expected and what was found.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: Characters of an input value a problem quotes as *found*: enough to recognise it
#: without a whole malformed line in the message.
FOUND_MAX = 60


def clip_found(text: str) -> str:
    """``text`` cut to :data:`FOUND_MAX` characters (ending ``...``) for a problem's *found*."""
    return text if len(text) <= FOUND_MAX else text[: FOUND_MAX - 3] + "..."


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input.

    ``line`` is 1-based as an editor shows it (the header is line 1); ``None``
    when the problem concerns the whole file.  ``key`` is used instead of a
    column for YAML params (a dotted path such as ``targets[2].baseline``).
    """

    file: str
    rule: str
    expected: str
    found: str
    line: int | None = None
    column: str | None = None
    severity: str = "error"  # "error" rejects a row or file; "warning" is reported only

    def where(self, column_word: str = "column", quote: bool = True) -> str:
        """``file, line N, column 'C'``: the place, as every message begins."""
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column:
            where += f", {column_word} {self.column!r}" if quote else \
                f", {column_word} {self.column}"
        return where

    def __str__(self) -> str:
        return f"{self.where()}: {self.rule}: expected {self.expected}, found {self.found}"


class CdrpError(Exception):
    """Base of every error the CLI reports as one line (no traceback unless --debug)."""


class InputError(CdrpError):
    """Input that cannot be used, carrying every problem found."""

    def __init__(self, problems: Sequence[Problem], summary: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        first = str(self.problems[0]) if self.problems else "invalid input"
        more = len(self.problems) - 1
        message = summary or first
        if more > 0:
            message += f" (and {more} more problem{'s' if more > 1 else ''})"
        super().__init__(message)


class ParamsError(CdrpError):
    """A params file that does not validate; the message names the file and key."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        lines = [str(p) for p in self.problems]
        super().__init__("; ".join(lines) if lines else "invalid params")


class NotFoundError(CdrpError):
    """A partnership, measure, month or file that the store or params does not hold."""


class InUseError(CdrpError):
    """A folder another cdrp process is writing (see :mod:`cdrp_lib.locking`).

    The message names that process, so its user can wait for it or stop it
    instead of guessing why nothing was written.
    """
