"""`cdrp run --scheduler`: the same jobs on a real dask.distributed cluster.

A LocalCluster with two separate worker processes listens on loopback only;
the batch connects to it by its tcp:// address exactly as it would to a
cluster started with `dask scheduler` / `dask worker`.  One partnership's
notebook SIGKILLs the worker process running it: the scheduler (told to allow
one failure, as the README advises) retries it once on a fresh worker, then
gives up, and only that bulletin fails.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_batch import PRODUCED_ON, cli_args, make_project, manifest_of, site_bytes

from cdrp_lib.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture()
def cluster(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A two-process LocalCluster on 127.0.0.1; yields its scheduler address."""
    import dask
    from distributed import LocalCluster

    # Workers inherit the environment at start: the kill rule must be set before.
    monkeypatch.setenv("CDRP_FIXTURE_KILL", "ashcombe")
    with (dask.config.set({"distributed.scheduler.allowed-failures": 1}),
          LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                       dashboard_address=None, worker_dashboard_address=None) as lc):
        address = lc.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        yield address


def test_batch_on_a_local_cluster(cluster: str, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path / "project", {"summary": "kills_its_worker"})
    args = cli_args(project, "--month", "latest", "--all", "--themes", "summary",
                    "--scheduler", cluster)
    assert main(args) == 1
    out = capsys.readouterr().out
    by_id = {j["partnership"]: j for j in manifest_of(project)["jobs"]}  # type: ignore[attr-defined]
    assert by_id["brackenford"]["status"] == "ok"
    assert by_id["calder-vale"]["status"] == "ok"
    assert by_id["ashcombe"]["status"] == "failed"
    assert "KilledWorker" in by_id["ashcombe"]["error"]
    assert "KilledWorker" in out
    assert manifest_of(project)["request"]["scheduler"] == cluster  # type: ignore[index]
    pages = by_id["brackenford"]["pages"]
    assert [p["kernel"] for p in pages] == ["forked"]  # the dask worker's own zygote

    site = project.outputs_dir / "site"
    record = json.loads((site / "brackenford" / "2025-12" / "bulletin.json").read_text())
    assert record["produced_on"] == PRODUCED_ON
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "calder-vale/2025-12/index.html" in index and "KilledWorker" in index
    first = site_bytes(project)

    # Unchanged inputs: nothing is sent to the cluster, the site is as it was.
    assert main(args) == 1  # ashcombe is still not published, so it runs and fails again
    by_id = {j["partnership"]: j for j in manifest_of(project)["jobs"]}  # type: ignore[attr-defined]
    assert by_id["brackenford"]["status"] == "skipped"
    assert {k: v for k, v in site_bytes(project).items() if k != "index.html"} == {
        k: v for k, v in first.items() if k != "index.html"}
