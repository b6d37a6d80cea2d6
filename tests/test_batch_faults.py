"""Faults in a real batch: its parent killed or terminated, a kernel that dies starting, a full
disk, a publication during a run.

Each test runs ``cdrp run`` as its own process on the fixture project of
tests/test_batch.py, with the ``waits_for_release`` notebook: its page writes
``<wait dir>/<partnership>.started`` (with its kernel's and worker's pids) and
waits for ``<partnership>.go``, so a test acts while a bulletin is half made,
without sleeping.  (A worker killed under its job is tests/test_batch.py's
``test_two_workers_a_dying_worker_takes_down_only_its_own_job``.)
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from test_batch import PROJECT_ROOT, InProcess, cli_args, make_project, manifest_of

from cdrp_lib.batch import BatchSettings, JobStatus, run_batch
from cdrp_lib.cli import main

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads process states from /proc (Linux)")]
# Generous bounds for a loaded machine; a test fails past one, it never measures time.
START_SECONDS = 180.0
GONE_SECONDS = 60.0


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        time.sleep(0.05)


def gone(pids: dict[str, int]) -> None:
    """Wait until the page's worker and kernel have ended (fail if they never do)."""
    wait_for(lambda: not alive(pids["worker"]) and not alive(pids["kernel"]), GONE_SECONDS,
             "the worker and its kernel to end with their batch")


# One bulletin, one page, one worker.
ASHCOMBE = ("--month", "latest", "--partnership", "ashcombe", "--workers", "1",
            "--themes", "summary")


class Run:
    """``cdrp run`` in its own process, with pages that wait to be let go."""

    def __init__(self, settings: BatchSettings, wait_dir: Path, *args: str) -> None:
        self.wait_dir = wait_dir
        wait_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "CDRP_FIXTURE_WAIT_DIR": str(wait_dir)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cdrp_lib", *cli_args(settings, *args)],
            cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)

    def started(self, partnership: str) -> dict[str, int]:
        """Wait until the page of ``partnership`` is running; its kernel's and worker's pids."""
        path = self.wait_dir / f"{partnership}.started"

        def there() -> bool:
            if self.process.poll() is not None:
                out, err = self.process.communicate()
                pytest.fail(f"cdrp run ended ({self.process.returncode}) before the page "
                            f"started:\n{out}\n{err}")
            return path.exists()

        wait_for(there, START_SECONDS, f"{partnership}'s page to start")
        pids: dict[str, int] = json.loads(path.read_text(encoding="utf-8"))
        return pids

    def go(self, partnership: str) -> None:
        (self.wait_dir / f"{partnership}.go").touch()

    def finish(self) -> tuple[int, str, str]:
        try:
            out, err = self.process.communicate(timeout=START_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail("cdrp run ended, but something it started still holds its output")
        return self.process.returncode, out, err

    def kill(self) -> None:
        """End the run if it is still there; its pipes are closed, not read to their end (a
        worker outliving it, the fault under test, would hold them open)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=GONE_SECONDS)
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()


@pytest.fixture()
def waiting_project(tmp_path: Path) -> Iterator[BatchSettings]:
    settings = make_project(tmp_path / "project", {"summary": "waits_for_release"})
    yield settings


def test_a_killed_run_takes_its_workers_and_kernels_with_it_and_publishes_nothing(
        waiting_project: BatchSettings, tmp_path: Path) -> None:
    run = Run(waiting_project, tmp_path / "wait", *ASHCOMBE)
    try:
        pids = run.started("ashcombe")
        os.kill(run.process.pid, signal.SIGKILL)
        run.process.wait(timeout=GONE_SECONDS)  # not its pipes: a surviving worker holds them
        run.go("ashcombe")  # were the worker still there, it would now finish and publish
        gone(pids)
    finally:
        run.kill()
    assert not (waiting_project.site_dir / "ashcombe").exists()
    # The next run is not raced by anything, and makes the bulletin.
    report = run_batch(waiting_project, month="latest", partnerships=["ashcombe"],
                       themes=["summary"], executor_factory=lambda jobs: InProcess())
    assert [r.status for r in report.results] == [JobStatus.OK]


def test_sigterm_stops_the_run_as_ctrl_c_does_and_prints_the_summary_and_manifest(
        waiting_project: BatchSettings, tmp_path: Path) -> None:
    run = Run(waiting_project, tmp_path / "wait", *ASHCOMBE)
    try:
        pids = run.started("ashcombe")
        os.kill(run.process.pid, signal.SIGTERM)
        code, out, err = run.finish()
        run.go("ashcombe")
        gone(pids)
    finally:
        run.kill()
    assert code == 128 + signal.SIGTERM, err
    assert "ashcombe     2025-12  interrupted" in out
    assert "1 bulletins: 0 made, 0 unchanged, 0 failed, 1 interrupted" in out
    manifest_line = out.splitlines()[-1]
    assert manifest_line.startswith("manifest: ")
    manifest = json.loads(Path(manifest_line.removeprefix("manifest: ")).read_text("utf-8"))
    assert manifest["request"]["interrupted"] is True
    assert err.strip().endswith("stopped by SIGTERM; `cdrp run --resume` finishes it")
    assert not (waiting_project.site_dir / "ashcombe").exists()
    assert not (waiting_project.runs_dir / "ashcombe" / "2025-12" / "site").exists()


DIES_STARTING = """\
# A kernel that dies while starting, the first time only (a marker file remembers it).
import os, signal, sys
from pathlib import Path

marker = Path(os.environ["CDRP_TEST_KERNEL_MARKER"])
if not marker.exists():
    marker.touch()
    os.kill(os.getpid(), signal.SIGKILL)
sys.argv = ["ipykernel_launcher", *sys.argv[1:]]
from ipykernel import kernelapp
kernelapp.launch_new_instance()
"""


def test_a_kernel_that_dies_while_starting_is_retried_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    spec = tmp_path / "jupyter" / "kernels" / "dies-starting"
    spec.mkdir(parents=True)
    (spec / "start.py").write_text(textwrap.dedent(DIES_STARTING), encoding="utf-8")
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, str(spec / "start.py"), "-f", "{connection_file}"],
        "display_name": "dies starting", "language": "python"}), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("CDRP_TEST_KERNEL_MARKER", str(tmp_path / "died-once"))
    settings = replace(make_project(tmp_path / "project", {"summary": "writes_figures"}),
                       kernel_name="dies-starting", start_timeout=60.0)
    executor = InProcess()
    report = run_batch(settings, month="latest", partnerships=["ashcombe"], themes=["summary"],
                       executor_factory=lambda jobs: executor)
    assert (tmp_path / "died-once").exists()
    assert executor.submitted == [("ashcombe", 1), ("ashcombe", 2)]
    assert [(r.status, r.attempts) for r in report.results] == [(JobStatus.OK, 2)]


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MiB tmpfs mounted on a temp folder (root, or CAP_SYS_ADMIN, is needed)."""
    mount = shutil.which("mount")
    target = tmp_path / "small-disk"
    target.mkdir()
    if mount is None:
        pytest.skip("needs `mount` (util-linux) to make a small filesystem")
    made = subprocess.run([mount, "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(target)],
                          capture_output=True, text=True, check=False)
    if made.returncode != 0:
        pytest.skip("needs root (or CAP_SYS_ADMIN) to mount a size-limited tmpfs: "
                    f"{made.stderr.strip()}")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


def fill(folder: Path) -> Path:
    """Write a file into ``folder`` until its filesystem is full; returns the file."""
    filler = folder / "filler"
    chunk = b"\0" * (1 << 16)
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(chunk)
                f.flush()
        except OSError:
            pass
    return filler


def test_a_full_disk_fails_bulletins_with_their_reason_and_leaves_no_staging(
        tmp_path: Path, small_disk: Path) -> None:
    settings = make_project(tmp_path / "project", {"summary": "waits_for_release"})
    from dataclasses import replace

    settings = replace(settings, outputs_dir=small_disk / "outputs")
    run = Run(settings, tmp_path / "wait", *ASHCOMBE)
    try:
        run.started("ashcombe")
        filler = fill(small_disk)
        run.go("ashcombe")
        code, out, err = run.finish()
    finally:
        run.kill()
    assert code == 1, err
    (row,) = [line for line in out.splitlines() if line.startswith("ashcombe ")]
    assert "failed" in row and "No space left on device" in row
    assert "manifest: " in out
    manifest = manifest_of(settings)
    assert [j["status"] for j in manifest["jobs"]] == ["failed"]  # type: ignore[attr-defined,index]
    assert not (settings.runs_dir / "ashcombe" / "2025-12" / "site").exists()
    assert not list(settings.site_dir.glob("*/.*staging*"))

    filler.unlink()  # room again: the next run makes it, and says so in full
    report = run_batch(settings, month="latest", partnerships=["ashcombe"], themes=["summary"],
                       executor_factory=lambda jobs: InProcess())
    assert [r.status for r in report.results] == [JobStatus.OK]
    assert manifest_of(settings)["request"]["complete"] is True  # type: ignore[index]


def test_publish_refuses_or_waits_for_a_run_on_its_site_and_copies_what_it_made(
        waiting_project: BatchSettings, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # An earlier run published brackenford (the page does not wait outside Run).
    run_batch(waiting_project, month="latest", partnerships=["brackenford"], themes=["summary"],
              executor_factory=lambda jobs: InProcess())
    dest = tmp_path / "share" / "csp"
    dest.parent.mkdir()
    site = str(waiting_project.site_dir)
    run = Run(waiting_project, tmp_path / "wait", *ASHCOMBE)
    publish: subprocess.Popen[str] | None = None
    try:
        run.started("ashcombe")
        assert main(["publish", str(dest), "--site", site, "--no-check"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"cdrp publish: error: {waiting_project.outputs_dir}/ is in use "
                              f"by another cdrp run (pid {run.process.pid} ")
        assert err.endswith("; wait for it to finish, or use --wait\n")
        assert not dest.exists()

        publish = subprocess.Popen(
            [sys.executable, "-m", "cdrp_lib", "publish", str(dest), "--site", site,
             "--no-check", "--wait"], cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        assert publish.stderr is not None
        said = publish.stderr.readline()
        assert said.startswith(f"cdrp publish: waiting for another cdrp run (pid "
                               f"{run.process.pid} ")
        assert not dest.exists()
        run.go("ashcombe")
        code, _, run_err = run.finish()
        assert code == 0, run_err
        out, _ = publish.communicate(timeout=START_SECONDS)
        assert publish.returncode == 0
        assert out.startswith("Published ")
    finally:
        run.kill()
        if publish is not None and publish.poll() is None:
            publish.kill()
            publish.communicate()
    index = (dest / "index.html").read_text(encoding="utf-8")
    assert "ashcombe/2025-12/index.html" in index and "brackenford/2025-12/index.html" in index
    assert (dest / "ashcombe" / "2025-12" / "index.html").is_file()


@pytest.mark.parametrize(("signum", "code", "line"), [
    (signal.SIGTERM, 128 + signal.SIGTERM,
     "cdrp run: stopped by SIGTERM while planning; no bulletin was started"),
    (signal.SIGINT, 130, "cdrp run: stopped by SIGINT while planning; no bulletin was started"),
])
def test_a_signal_while_planning_exits_with_its_own_code(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        signum: int, code: int, line: str) -> None:
    """SIGTERM before any bulletin starts still exits 143 (it used to exit 130, as Ctrl-C)."""
    import cdrp_lib.batch

    settings = make_project(tmp_path / "p")

    def planning_stopped(*args: object, **kwargs: object) -> None:
        os.kill(os.getpid(), signum)  # the handler raises at the next bytecode
        time.sleep(30)
        pytest.fail("the signal did not stop planning")

    monkeypatch.setattr(cdrp_lib.batch, "run_batch", planning_stopped)
    assert main(cli_args(settings, *ASHCOMBE)) == code
    assert capsys.readouterr().err.strip().endswith(line)
    assert not settings.site_dir.exists()
