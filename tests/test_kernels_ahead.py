"""The next page's kernel, started while a page runs (cdrp_lib.batch.ahead, issue 13)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import nbformat
import pytest
from test_batch import make_project, site_bytes

import cdrp_lib.batch.ahead as ahead_module
import cdrp_lib.batch.execute as execute
from cdrp_lib.batch import BatchSettings
from cdrp_lib.batch.ahead import KernelsAhead, close_kernel, kernels_ahead
from cdrp_lib.batch.execute import KERNEL_ARGUMENTS, run_job
from cdrp_lib.batch.jobs import Job, JobStatus
from cdrp_lib.batch.kernels import _exited, current_zygote, start_zygote, stop_zygote
from cdrp_lib.batch.plan import plan_jobs

PROBE = (
    "import json, os, sys\n"
    "Path = __import__('pathlib').Path\n"
    "Path(os.environ['PROBE_OUT']).write_text(json.dumps({\n"
    "    'cwd': os.getcwd(), 'pid': os.getpid(), 'ppid': os.getppid(),\n"
    "    'env': os.environ.get('PROBE_VALUE'),\n"
    "    'state_left_by_an_earlier_notebook': 'probe_defined_here' in globals(),\n"
    "    'history_file': get_ipython().history_manager.hist_file}))\n"
    "probe_defined_here = 1\n")


def _settings(root: Path) -> BatchSettings:
    return BatchSettings(store=root / "store.duckdb", params_dir=root / "params",
                         notebooks_dir=root / "notebooks", outputs_dir=root / "outputs",
                         project_root=root, produced_on="2026-01-15")


def _probe_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture()
def zygote() -> Any:
    started = start_zygote()
    if started is None:
        pytest.skip("os.fork is not available here: kernels start the usual way")
    yield started
    stop_zygote()


@pytest.mark.slow
def test_a_kernel_started_ahead_runs_its_page_fresh_and_is_gone_after(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zygote: Any) -> None:
    import papermill

    settings = _settings(tmp_path)
    source = _probe_notebook(tmp_path / "probe.ipynb")
    seen = []
    for value in ("first", "second"):
        monkeypatch.setenv("PROBE_OUT", str(tmp_path / f"{value}.json"))
        monkeypatch.setenv("PROBE_VALUE", value)
        ahead = KernelsAhead(settings, KERNEL_ARGUMENTS, fork=True)
        ahead.start()
        manager = ahead.take()
        assert manager is not None and manager.has_kernel
        assert ahead.take() is None  # handed over once
        pid, connection = manager.provisioner.pid, Path(manager.connection_file)
        assert connection.is_file()
        try:
            papermill.execute_notebook(str(source), str(tmp_path / f"{value}.ipynb"),
                                       km=manager, progress_bar=False)
        finally:
            close_kernel(manager)
        probe = json.loads((tmp_path / f"{value}.json").read_text(encoding="utf-8"))
        assert probe["pid"] == pid and probe["ppid"] == zygote._process.pid  # forked
        assert probe["cwd"] == str(tmp_path)  # the project root, as nbclient's own start
        assert probe["env"] == value  # the environment when it was started
        assert not probe["state_left_by_an_earlier_notebook"]
        assert probe["history_file"] == ":memory:"  # as nbclient starts a kernel
        # shut down: the process ended, its connection file removed, its client closed
        assert _exited(pid) and not connection.exists() and not manager.has_kernel
        assert manager.page_clients and not any(c.channels_running
                                                for c in manager.page_clients)
        seen.append(pid)
    assert seen[0] != seen[1]
    assert current_zygote() is zygote


@pytest.mark.slow
def test_a_kernel_no_page_took_is_shut_down_when_the_bulletin_ends(
        tmp_path: Path, zygote: Any) -> None:
    with kernels_ahead(_settings(tmp_path), KERNEL_ARGUMENTS, fork=True) as ahead:
        ahead.start()
        manager = ahead._waiting
        assert manager is not None
        pid = manager.provisioner.pid
        ahead.start()  # one waits already: no second kernel
        assert ahead._waiting is manager
    assert _exited(pid) and not manager.has_kernel
    assert not Path(manager.connection_file).exists()


def test_a_kernel_that_fails_to_start_ahead_leaves_the_page_its_usual_start(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(*args: object, **kwargs: object) -> None:
        raise RuntimeError("Kernel didn't respond in 120 seconds")

    monkeypatch.setattr(ahead_module, "start_kernel", fails)
    ahead = KernelsAhead(_settings(tmp_path), KERNEL_ARGUMENTS, fork=True)
    ahead.start()
    assert ahead.take() is None


@pytest.mark.slow
def test_every_page_after_the_first_runs_in_a_kernel_started_ahead_with_the_same_pages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = make_project(tmp_path / "project", pages={
        "summary": "writes_figures", "violence": "writes_figures",
        "asb": "writes_figures"})
    given: list[tuple[str, Any]] = []
    execute_page = execute._execute_page

    def recording(job: Job, theme: str, started: Any = None) -> tuple[Path, str]:
        given.append((theme, started))
        return execute_page(job, theme, started)

    monkeypatch.setattr(execute, "_execute_page", recording)
    themes = ("summary", "violence", "asb")
    sites = []
    for settings in (project, replace(project, kernels_ahead=False)):
        given.clear()
        job = replace(plan_jobs(settings, month="latest", partnerships=["ashcombe"],
                                themes=["violence", "asb"])[0], themes=themes)
        result = run_job(job)
        assert result.status is JobStatus.OK, result.error
        sites.append(site_bytes(settings))
        if settings.kernels_ahead:
            assert [theme for theme, _ in given] == ["violence", "asb", "summary"]
            assert given[0][1] is None  # the first page starts its own
            assert all(m is not None for _, m in given[1:])
            assert all(not m.has_kernel for _, m in given[1:])  # each shut down with its page
        else:
            assert all(m is None for _, m in given)
        shutil.rmtree(settings.outputs_dir / "site")  # the next run starts from none
    assert sites[0] == sites[1]
