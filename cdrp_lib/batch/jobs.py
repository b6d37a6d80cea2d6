"""What a batch is made of: settings, jobs, and the results workers send back.

Everything here is a frozen dataclass of plain values (strings, numbers, paths,
tuples) so that a job pickles cheaply to a local worker process or a
dask.distributed worker on another machine, and a result pickles back.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from cdrp_lib.periods import Month
from cdrp_lib.render import RENDERERS

# The default bulletin's pages, in the order a reader meets them (params/bulletin.yaml's
# list; a partnership's params may give its own, which its jobs carry as ``Job.pages``).
# ``summary`` is the front page (index.html) and is always part of a bulletin.
THEMES: tuple[str, ...] = (
    "summary", "violence", "acquisitive_crime", "asb", "domestic_abuse", "perception",
)
SUMMARY = "summary"
PAGE_TITLES: dict[str, str] = {
    "summary": "Summary",
    "violence": "Violence",
    "acquisitive_crime": "Acquisitive crime",
    "asb": "Anti-social behaviour",
    "domestic_abuse": "Domestic abuse",
    "perception": "Perception",
}


@dataclass(frozen=True)
class PageSpec:
    """One page of a bulletin as planned: its theme id, its navigation title and the
    notebook (``notebooks/<notebook>.ipynb``) that makes it."""

    id: str
    title: str
    notebook: str


#: The pages of a bulletin planned without params themes (the default list).
DEFAULT_PAGES: tuple[PageSpec, ...] = tuple(PageSpec(t, PAGE_TITLES[t], t) for t in THEMES)
KERNEL_NAME = "python3"
# A job whose worker or kernel died runs at most this many times in all.
MAX_ATTEMPTS = 2
# The files a published bulletin folder holds besides its pages.
FIGURES_FILE = "figures.json"
BULLETIN_FILE = "bulletin.json"


def page_file(theme: str) -> str:
    """``index.html`` for the summary (the bulletin's front page), ``<theme>.html`` otherwise."""
    return "index.html" if theme == SUMMARY else f"{theme}.html"


def figures_file(theme: str) -> str:
    """The file a theme notebook writes its Assessments to, in its ``output_dir``."""
    return f"{theme}.figures.json"


class JobStatus(StrEnum):
    """How a bulletin ended in this batch."""

    OK = "ok"  # every page executed and rendered; published
    FAILED = "failed"  # a page failed, or the worker died twice; the old bulletin stays
    SKIPPED = "skipped"  # nothing it depends on changed since it was published
    INTERRUPTED = "interrupted"  # the batch stopped (Ctrl-C) before it finished


class PageStatus(StrEnum):
    """How one page of a bulletin ended."""

    OK = "ok"
    FAILED = "failed"


@dataclass(frozen=True)
class BatchSettings:
    """Where a batch reads and writes, and how it renders; shared by every job.

    Paths are absolute so that a worker started elsewhere (another machine of a
    dask cluster sharing the file system) finds the same files.  ``project_root``
    is the working directory of every kernel.  ``produced_on`` is pinned once per
    batch so that all pages agree and a re-run gives byte-identical pages.
    """

    store: Path
    params_dir: Path
    notebooks_dir: Path
    outputs_dir: Path
    project_root: Path
    produced_on: str
    renderer: str = "nbconvert"
    kernel_name: str = KERNEL_NAME
    start_timeout: float = 120.0
    fork_kernels: bool = True  # fork kernels from a preloaded zygote in batch workers
    # Start the next page's kernel while a page runs (cdrp_lib.batch.ahead).
    kernels_ahead: bool = True
    # Recorded with the outputs lock by the batch; a job publishes only while it is held.
    run_token: str | None = None

    def __post_init__(self) -> None:
        if self.renderer not in RENDERERS:
            raise ValueError(
                f"`renderer` must be one of {', '.join(map(repr, RENDERERS))}, "
                f"got {self.renderer!r}")
        try:
            datetime.date.fromisoformat(self.produced_on)
        except ValueError:
            raise ValueError(
                f"`produced_on` must be a date YYYY-MM-DD, got {self.produced_on!r}") from None

    @property
    def site_dir(self) -> Path:
        return self.outputs_dir / "site"

    @property
    def runs_dir(self) -> Path:
        return self.outputs_dir / "runs"


@dataclass(frozen=True)
class Job:
    """One bulletin: every requested page of one partnership for one month.

    ``inputs`` holds the hashes of everything the bulletin depends on, as
    ``(name, sha256)`` pairs; ``key`` is their digest, recorded in the published
    folder's ``bulletin.json`` and compared on the next run.
    """

    partnership: str
    partnership_name: str
    synthetic: bool
    month: str
    themes: tuple[str, ...]
    key: str
    inputs: tuple[tuple[str, str], ...]
    settings: BatchSettings
    #: Every page of the partnership's bulletin in order (its theme list), made or not.
    pages: tuple[PageSpec, ...] = DEFAULT_PAGES

    @property
    def page_ids(self) -> tuple[str, ...]:
        """The theme ids of the bulletin's pages, summary first (page order)."""
        return tuple(p.id for p in self.pages)

    def in_page_order(self, themes: Iterable[str]) -> list[str]:
        """``themes`` in the bulletin's page order (its theme list), any others after them."""
        wanted = list(dict.fromkeys(themes))
        return ([t for t in self.page_ids if t in wanted]
                + [t for t in wanted if t not in self.page_ids])

    def page(self, theme: str) -> PageSpec:
        """The planned page of ``theme``; a theme outside the list is its own notebook."""
        for p in self.pages:
            if p.id == theme:
                return p
        return PageSpec(theme, PAGE_TITLES.get(theme, theme), theme)

    def notebook(self, theme: str) -> Path:
        """The notebook that makes the page of ``theme``."""
        return self.settings.notebooks_dir / f"{self.page(theme).notebook}.ipynb"

    @property
    def label(self) -> str:
        return f"{self.partnership} {self.month}"

    @property
    def run_dir(self) -> Path:
        """Where the executed notebooks are kept: ``outputs/runs/<partnership>/<month>``."""
        return self.settings.runs_dir / self.partnership / self.month

    @property
    def staging_dir(self) -> Path:
        """Where the pages are built before publication (the notebooks' ``output_dir``).

        The same path on every run, so that nothing a notebook writes can differ
        between two runs because of it.
        """
        return self.run_dir / "site"

    @property
    def site_dir(self) -> Path:
        """The published bulletin folder ``outputs/site/<partnership>/<month>``."""
        return self.settings.site_dir / self.partnership / self.month

    def title(self, theme: str) -> str:
        """``Ashcombe: Violence, December 2025``."""
        return (f"{self.partnership_name}: {self.page(theme).title}, "
                f"{Month.parse(self.month).label}")

    def parameters(self, theme: str) -> dict[str, str]:
        """The notebook's ``parameters`` cell values for one page of this bulletin: the same
        for every page but ``theme``, which the generic theme notebook reads (a page's own
        notebook has no such parameter, and Papermill leaves it out with a warning only)."""
        s = self.settings
        return {
            "theme": theme,
            "partnership": self.partnership,
            "month": self.month,
            "store": str(s.store),
            "params_dir": str(s.params_dir),
            "output_dir": str(self.staging_dir),
            "produced_on": s.produced_on,
        }


@dataclass(frozen=True)
class PageResult:
    """One page: timings in seconds, and the error in one path-free line if it failed."""

    theme: str
    status: PageStatus
    execute_seconds: float
    render_seconds: float = 0.0
    error: str | None = None
    renderer: str | None = None  # the renderer actually used (quarto may fall back)
    kernel: str | None = None  # "forked" from the worker's zygote, or "started" from scratch
    notebook: Path | None = None  # the executed notebook, kept for inspection
    html: Path | None = None  # the published page


@dataclass(frozen=True)
class JobResult:
    """What happened to one bulletin.

    ``retriable`` marks a failure of the machinery (a kernel or worker that
    died) rather than of the notebook: such a job is run once more.
    ``attempts`` counts runs of the job in this batch (0 for a skipped one).
    ``kept`` are the pages of the published bulletin the job kept without
    making them (``--themes``); ``note`` says what a reader of the summary
    should know about a bulletin that was made (e.g. that it lacks pages).
    """

    partnership: str
    month: str
    status: JobStatus
    seconds: float = 0.0
    error: str | None = None
    pages: tuple[PageResult, ...] = ()
    attempts: int = 1
    retriable: bool = False
    rag_counts: tuple[tuple[str, int], ...] = field(default=())
    kept: tuple[str, ...] = ()
    note: str | None = None
