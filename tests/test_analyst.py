"""An analyst's matplotlib charts: published in place with alt text, under forked kernels too.

The slow tests run the fixture notebook ``analyst_charts.ipynb`` (the batch
contract, a Markdown note, a ``plt.show()`` chart with a title, a
``show_chart(..., alt=...)`` chart, a titled Figure left as the last
expression, a ``remove-cell`` chart, and an untitled chart switched on by an
environment variable) through :func:`cdrp_lib.batch.execute.run_job`, with the
kernel forked from the preloading zygote and started the usual way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import matplotlib
import pytest
from test_batch import copy_notebook, make_project

from cdrp_lib.analyst import figure_alt, install
from cdrp_lib.batch import BatchSettings, JobStatus, plan_jobs
from cdrp_lib.batch.execute import run_job

matplotlib.use("Agg")

ALTS = ("Night-time incidents in ashcombe", "Two bars: b is twice a", "Repeat victims by quarter")


def test_figure_alt_is_the_suptitle_else_the_first_axes_title() -> None:
    from matplotlib.figure import Figure

    fig = Figure()
    assert figure_alt(fig) is None
    first, second = fig.add_subplot(211), fig.add_subplot(212)
    assert figure_alt(fig) is None
    second.set_title("Second")
    assert figure_alt(fig) == "Second"
    first.set_title("Left title", loc="left")
    assert figure_alt(fig) == "Left title"
    fig.suptitle("  Whole figure  ")
    assert figure_alt(fig) == "Whole figure"


def test_install_outside_ipython_does_nothing() -> None:
    install()  # no running shell: no error, nothing registered


def test_show_chart_refuses_a_chart_it_cannot_describe() -> None:
    import matplotlib.pyplot as plt

    from cdrp_lib.analyst import show_chart

    fig, _ = plt.subplots()
    try:
        with pytest.raises(ValueError, match=r"no title.*show_chart\(fig, alt="):
            show_chart(fig)
        with pytest.raises(ValueError):
            show_chart(fig, alt="  ")
    finally:
        plt.close(fig)


def test_the_zygote_never_preloads_the_inline_backend() -> None:
    """Imported before the kernel's shell exists, it never hooks into it (figures vanish)."""
    from cdrp_lib.batch.kernels import NOT_PRELOADED, PRELOAD_MODULES

    assert "matplotlib_inline.backend_inline" in NOT_PRELOADED
    assert not set(NOT_PRELOADED) & set(PRELOAD_MODULES)


# ------------------------------------------------------------- real kernels (slow)


@pytest.fixture()
def zygote() -> Iterator[None]:
    from cdrp_lib.batch.kernels import start_zygote, stop_zygote

    if start_zygote() is None:
        pytest.skip("os.fork is not available here: kernels start the usual way")
    try:
        yield
    finally:
        stop_zygote()


def _project(root: Path) -> BatchSettings:
    settings = make_project(root, {"summary": "writes_figures"})
    copy_notebook("analyst_charts", "violence", settings.notebooks_dir)
    return settings


def _page(settings: BatchSettings, kernel: str) -> str:
    (job,) = plan_jobs(settings, month="latest", partnerships=["ashcombe"], themes=["violence"])
    result = run_job(job)
    assert result.status is JobStatus.OK, result.error
    assert {p.kernel for p in result.pages} == {kernel}
    return (job.site_dir / "violence.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_analyst_charts_are_published_in_place_with_alt_text_under_forked_kernels(
        tmp_path: Path, zygote: None) -> None:
    settings = _project(tmp_path / "project")
    forked = _page(settings, "forked")
    images = re.findall(r'<img src="data:image/png;base64,[^"]*" alt="([^"]*)"', forked)
    assert tuple(images) == ALTS  # the remove-cell chart is not published
    note = forked.index("Operation Lantern began in November.")
    assert forked.index("Download the figures") < note < forked.index(f'alt="{ALTS[0]}"')

    started = _page(replace(settings, fork_kernels=False), "started")
    assert started == forked  # exactly as a kernel started the usual way


@pytest.mark.slow
def test_an_untitled_chart_fails_its_page_naming_notebook_and_cell(
        tmp_path: Path, zygote: None, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _project(tmp_path / "project")
    monkeypatch.setenv("CDRP_FIXTURE_UNTITLED_CHART", "1")
    (job,) = plan_jobs(settings, month="latest", partnerships=["ashcombe"], themes=["violence"])
    result = run_job(job)
    assert result.status is JobStatus.FAILED
    assert result.error is not None
    assert result.error == (  # the 9th cell, counting from 1 without papermill's injected one
        'violence: rendering failed: RenderError: violence.ipynb cell 9 ("# A chart with no '
        'title: the page must be refused (tests ..."): a chart has no alt text; give it a '
        'title or use cdrp_lib.show_chart(fig, alt="...")')
    assert not job.site_dir.exists()
