"""What a batch leaves on the index across runs, and which bulletins it chooses to make.

Failed marks that stay until the bulletin is made; stale marks and ``--stale``;
per-partnership params (validated when planning, keyed per partnership);
``--resume`` of an interrupted ``--force`` run; the lock check before a swap.
Fast: bulletins are "published" by writing their ``bulletin.json`` as a batch
would, and jobs run on a scripted executor.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from test_batch import ASHCOMBE_PARAMS, FakeExecutor, _ok, _raised, make_project

from cdrp_lib.batch import BatchInterrupted, BatchSettings, Job, JobResult, JobStatus, plan_jobs
from cdrp_lib.batch.execute import BatchGone, check_batch_alive
from cdrp_lib.batch.executors import Outcome
from cdrp_lib.batch.figures import bulletin_record
from cdrp_lib.batch.manifest import failure_marks
from cdrp_lib.batch.runner import BatchReport, run_batch, summary_table
from cdrp_lib.errors import ParamsError
from cdrp_lib.locking import exclusive, outputs_lock_file

COUNTS = {"G": 1, "A": 0, "R": 0, "none": 0}


@pytest.fixture()
def project(tmp_path: Path) -> BatchSettings:
    return make_project(tmp_path / "project", {"summary": "writes_figures"})


def publish_as_made(settings: BatchSettings, partnership: str, month: str) -> Job:
    """Put a bulletin in the site as a batch that made it from today's inputs would."""
    (job,) = plan_jobs(settings, month=month, partnerships=[partnership], themes=["summary"])
    job.site_dir.mkdir(parents=True, exist_ok=True)
    for theme in job.themes:
        (job.site_dir / ("index.html" if theme == "summary" else f"{theme}.html")).write_text(
            "<h1>made</h1>", encoding="utf-8")
    (job.site_dir / "figures.json").write_text("[]", encoding="utf-8")
    (job.site_dir / "bulletin.json").write_text(json.dumps(bulletin_record(job, COUNTS)),
                                                encoding="utf-8")
    return job


def batch(settings: BatchSettings, script: dict[str, list[Callable[[Job, int], JobResult]]],
          **request: object) -> tuple[BatchReport, FakeExecutor]:
    fake = FakeExecutor(script)
    request.setdefault("month", "latest")
    request.setdefault("partnerships", None)
    request.setdefault("themes", ["summary"])
    report = run_batch(settings, executor_factory=lambda jobs: fake, **request)  # type: ignore[arg-type]
    return report, fake


def index_row(settings: BatchSettings, partnership: str, month: str) -> str:
    """The index's row for one bulletin (its link or name, and its status cell)."""
    html = (settings.site_dir / "index.html").read_text(encoding="utf-8")
    section = html.split(f'<h2 id="month-{month}">', 1)[1].split("</table>", 1)[0]
    (row,) = [r for r in section.split("<tr>") if f"{partnership}/{month}/" in r
              or f">{partnership}<" in r]
    return row


# ------------------------------------------------------------------ failed marks


def test_a_failed_mark_stays_on_the_index_until_that_bulletin_is_made(
        project: BatchSettings) -> None:
    publish_as_made(project, "ashcombe", "2025-12")
    report, _ = batch(project, {"ashcombe": [_raised]}, partnerships=["ashcombe"], force=True)
    assert report.results[0].status is JobStatus.FAILED
    assert "Failed:</span> ValueError: x" in index_row(project, "ashcombe", "2025-12")

    batch(project, {"brackenford": [_ok]}, partnerships=["brackenford"])  # another bulletin
    row = index_row(project, "ashcombe", "2025-12")
    assert "Failed:</span> ValueError: x" in row and "Published" not in row
    assert [m["partnership"] for m in failure_marks(project.runs_dir)] == ["ashcombe"]

    batch(project, {"ashcombe": [_ok]}, partnerships=["ashcombe"], force=True)  # made again
    assert "Published" in index_row(project, "ashcombe", "2025-12")
    assert failure_marks(project.runs_dir) == []


# --------------------------------------------------------------------- stale marks


def test_new_data_for_a_past_month_marks_its_bulletins_and_stale_remakes_exactly_those(
        project: BatchSettings) -> None:
    publish_as_made(project, "ashcombe", "2025-11")
    publish_as_made(project, "brackenford", "2025-11")
    publish_as_made(project, "brackenford", "2025-12")
    report, _ = batch(project, {}, partnerships=["brackenford"])
    assert report.stale == 0 and "Out of date" not in index_row(project, "ashcombe", "2025-11")

    with duckdb.connect(str(project.store)) as con:  # a correction to October's data
        con.execute("UPDATE series SET value = 12 WHERE partnership = 'ashcombe' "
                    "AND month = '2025-10'")
    report, _ = batch(project, {"calder-vale": [_ok]}, partnerships=["calder-vale"])
    assert report.stale == 3  # the store is one input of every bulletin (peers read it)
    assert ("Out of date:</strong> made from older data: re-run with --month 2025-11."
            in index_row(project, "ashcombe", "2025-11"))
    assert "3 published bulletins are made from older inputs" in summary_table(report)

    report, fake = batch(project, {"ashcombe": [_ok], "brackenford": [_ok, _ok]},
                         month=None, partnerships=None, stale=True)
    assert sorted((j.partnership, j.month) for j in report.jobs) == [
        ("ashcombe", "2025-11"), ("brackenford", "2025-11"), ("brackenford", "2025-12")]
    assert len(fake.submitted) == 3  # calder-vale, made this run from today's data, is not


def test_stale_marks_name_what_changed_and_a_notebook_edit_is_a_change(
        project: BatchSettings) -> None:
    publish_as_made(project, "ashcombe", "2025-12")
    nb = project.notebooks_dir / "summary.ipynb"
    nb.write_bytes(nb.read_bytes().replace(b"Download the figures", b"Download figures"))
    batch(project, {}, partnerships=[], month="latest")
    assert ("made from older notebooks: re-run with --month 2025-12"
            in index_row(project, "ashcombe", "2025-12"))


# ------------------------------------------------------------------------- params


def _key(settings: BatchSettings, partnership: str) -> str:
    return plan_jobs(settings, month="latest", partnerships=[partnership],
                     themes=["summary"])[0].key


def test_one_partnerships_params_edit_changes_only_the_keys_of_bulletins_that_read_it(
        project: BatchSettings) -> None:
    folder = project.params_dir / "partnerships"
    (folder / "brackenford.yaml").write_text(
        ASHCOMBE_PARAMS.replace("ashcombe", "brackenford").replace("Ashcombe", "Brackenford"),
        encoding="utf-8")
    (folder / "calder-vale.yaml").write_text(
        "id: calder-vale\nname: Calder Vale\narea:\n  districts: [Calder Vale]\n"
        "peers: [brackenford]\n", encoding="utf-8")
    before = {p: _key(project, p) for p in ("ashcombe", "brackenford", "calder-vale")}
    text = (folder / "brackenford.yaml").read_text(encoding="utf-8")
    (folder / "brackenford.yaml").write_text(text.replace("name: Brackenford", "name: B"),
                                             encoding="utf-8")
    after = {p: _key(project, p) for p in before}
    assert after["ashcombe"] == before["ashcombe"]
    assert after["brackenford"] != before["brackenford"]
    assert after["calder-vale"] != before["calder-vale"]  # names brackenford as a peer


def test_a_params_mistake_fails_only_that_partnerships_bulletins_before_any_runs(
        project: BatchSettings) -> None:
    (project.params_dir / "partnerships" / "brackenford.yaml").write_text(
        "id: brackenford\nname: Brackenford\n", encoding="utf-8")
    said: list[str] = []

    class Progress:
        def planned(self, total: int, skipped: int) -> None:
            said.append(f"planned {total}")

        def finished(self, result: JobResult) -> None:
            said.append(f"{result.partnership} {result.status.value}")

    report, fake = batch(project, {"ashcombe": [_ok], "calder-vale": [_ok]},
                         progress=Progress())
    assert sorted(fake.submitted) == [("ashcombe", 1), ("calder-vale", 1)]
    by_id = {r.partnership: r for r in report.results}
    assert by_id["brackenford"].status is JobStatus.FAILED
    assert by_id["brackenford"].attempts == 0
    assert by_id["brackenford"].error == (
        "not made: params: brackenford.yaml, line 1, key area: `area` is required")
    assert said[:2] == ["planned 3", "brackenford failed"]  # said before anything ran
    assert by_id["ashcombe"].status is by_id["calder-vale"].status is JobStatus.OK


def test_a_mistake_in_a_file_every_bulletin_reads_stops_the_batch_before_anything_runs(
        project: BatchSettings) -> None:
    (project.params_dir / "measures.yaml").write_text("measures: 3\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"measures\.yaml"):
        batch(project, {})
    assert not (project.runs_dir / "manifests").exists()


# ------------------------------------------------------------------------- resume


class Interrupting(FakeExecutor):
    """Reports ``n`` outcomes, then raises KeyboardInterrupt as Ctrl-C would."""

    def __init__(self, script: dict[str, list[Callable[[Job, int], JobResult]]],
                 n: int) -> None:
        super().__init__(script)
        self.n = n

    def next_outcomes(self) -> list[Outcome]:
        if self.n == 0:
            raise KeyboardInterrupt
        self.n -= 1
        return super().next_outcomes()


def test_an_interrupted_force_run_is_finished_by_resume_without_redoing_what_it_made(
        project: BatchSettings) -> None:
    for pid in ("ashcombe", "brackenford", "calder-vale"):
        publish_as_made(project, pid, "2025-12")  # all current: only --force re-makes them
    first = Interrupting({p: [_ok] for p in ("ashcombe", "brackenford", "calder-vale")}, 1)
    with pytest.raises(BatchInterrupted) as stopped:
        run_batch(project, month="latest", partnerships=None, force=True, themes=["summary"],
                  executor_factory=lambda jobs: first)
    assert [r.status for r in stopped.value.report.results] == [
        JobStatus.OK, JobStatus.INTERRUPTED, JobStatus.INTERRUPTED]
    assert stopped.value.report.manifest.is_file()

    report, fake = batch(project, {"brackenford": [_ok], "calder-vale": [_ok]},
                         month=None, partnerships=None, resume=True)
    assert sorted(fake.submitted) == [("brackenford", 1), ("calder-vale", 1)]
    assert [r.status for r in report.results] == [JobStatus.OK, JobStatus.OK]
    manifest = json.loads(report.manifest.read_text(encoding="utf-8"))
    assert manifest["request"]["force"] is True and manifest["request"]["complete"] is True


def test_the_manifest_is_written_before_any_bulletin_runs(project: BatchSettings) -> None:
    seen: list[dict[str, object]] = []

    class Looks(FakeExecutor):
        def submit(self, job: Job, attempt: int) -> None:
            (path,) = (project.runs_dir / "manifests").glob("*.json")
            seen.append(json.loads(path.read_text(encoding="utf-8")))
            super().submit(job, attempt)

    fake = Looks({"ashcombe": [_ok]})
    run_batch(project, month="latest", partnerships=["ashcombe"], themes=["summary"],
              executor_factory=lambda jobs: fake)
    assert seen[0]["request"]["complete"] is False  # type: ignore[index]
    assert [j["status"] for j in seen[0]["jobs"]] == ["interrupted"]  # type: ignore[attr-defined]


# ------------------------------------------------------------ the lock before a swap


def test_a_job_publishes_only_while_its_batch_holds_the_outputs_lock(
        project: BatchSettings) -> None:
    from dataclasses import replace

    (job,) = plan_jobs(replace(project, run_token="run-1"), month="latest",
                       partnerships=["ashcombe"], themes=["summary"])
    project.outputs_dir.mkdir(parents=True)
    with pytest.raises(BatchGone):  # nobody holds it: the batch was killed
        check_batch_alive(job)
    lock = outputs_lock_file(project.outputs_dir)
    with (exclusive(lock, what="outputs/", activity="cdrp run", hint="", token="run-2"),
          pytest.raises(BatchGone)):  # a newer batch holds it
        check_batch_alive(job)
    with exclusive(lock, what="outputs/", activity="cdrp run", hint="", token="run-1"):
        check_batch_alive(job)


def test_a_notebook_opening_another_partnerships_bulletin_reads_the_params_that_validate(
        project: BatchSettings) -> None:
    from cdrp_lib.assess import cached_params

    (project.params_dir / "partnerships" / "brackenford.yaml").write_text(
        "id: brackenford\nname: Brackenford\n", encoding="utf-8")
    partnerships = cached_params(project.params_dir)[1]
    assert partnerships.get("ashcombe") is not None and partnerships["ashcombe"].name == "Ashcombe"
    with pytest.raises(ParamsError, match="`area` is required"):  # never "no params file"
        partnerships.get("brackenford")
    assert partnerships.get("calder-vale") is None  # a district with no params file
