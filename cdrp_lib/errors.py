"""The exception tree and the one shape every validation problem takes.

Every reader validates all of its input and reports every problem at once
(pandera style), so an analyst fixes a file in one pass instead of one error at
a time.  A problem always names the file, the line (or key) and the column, what
was expected and what was found.
"""

from __future__ import annotations

from collections import Counter
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
    #: How many lines this problem stands for: 1, or more for the summary that
    #: :class:`ProblemLog` writes in place of the problems past its cap.
    count: int = 1

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


#: Problems held per file and rule; past it they are counted, not kept.  A file of
#: 300,000 malformed lines would otherwise hold 300,000 messages (GBs at peak).
PROBLEMS_PER_RULE = 100


class ProblemLog:
    """Problems as they are found, at most ``limit`` held per file and rule.

    Memory stays bounded whatever the input: past the cap a problem is only
    counted, and :meth:`problems` ends each capped rule with one summary problem
    saying how many more lines broke it (its :attr:`Problem.count`).
    """

    def __init__(self, limit: int = PROBLEMS_PER_RULE) -> None:
        self.limit = limit
        self._held: list[Problem] = []
        self._seen: Counter[tuple[str, str]] = Counter()
        self._last: dict[tuple[str, str], Problem] = {}

    def add(self, problem: Problem) -> None:
        key = (problem.file, problem.rule)
        self._seen[key] += problem.count
        if self._seen[key] <= self.limit:
            self._held.append(problem)
        else:
            self._last[key] = problem

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.add(problem)

    def problems(self) -> list[Problem]:
        """What was held, then one summary per file and rule that passed the cap."""
        out = list(self._held)
        for (file, rule), last in self._last.items():
            more = self._seen[(file, rule)] - self.limit
            where = "" if last.line is None else f", the last at line {last.line}"
            out.append(Problem(file, rule, last.expected,
                               f"{more:,} more like this{where} (the first {self.limit} "
                               "are listed)", column=last.column, severity=last.severity,
                               count=more))
        return out


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


class StoreError(CdrpError):
    """A store file that cannot be used: corrupt, truncated, or not a cdrp store.

    Its own exit code (``cdrp``: 3), so a script tells "the store is broken" from
    "a bulletin failed" (1) and "bad input" (2).
    """


class NotFoundError(CdrpError):
    """A partnership, measure, month or file that the store or params does not hold."""


class InUseError(CdrpError):
    """A folder another cdrp process is writing (see :mod:`cdrp_lib.locking`).

    The message names that process, so its user can wait for it or stop it
    instead of guessing why nothing was written.
    """
