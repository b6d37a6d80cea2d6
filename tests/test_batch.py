"""The Papermill batch (cdrp_lib.batch, `cdrp run`), on tiny fixture notebooks.

The fixture notebooks in tests/fixtures/notebooks follow the theme notebooks'
contract (one `parameters` cell; figures to `<output_dir>/<theme>.figures.json`,
CSVs to `<output_dir>/data/`): one succeeds, one raises, one dies under the
batch.  A scenario is a temp project: a small DuckDB store in the documented
schema, a params folder, a notebooks folder of fixture copies named for the
themes they stand in for, and an outputs folder.

Fast tests cover planning, keys, figures merging, retries (with a fake
executor), the manifest and the index.  Tests marked slow execute real kernels
(about a second each here) through local worker processes or in-process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import duckdb
import nbformat
import pytest

from cdrp_lib.batch import (
    BatchSettings,
    Job,
    JobResult,
    JobStatus,
    PageStatus,
    is_current,
    plan_jobs,
    run_batch,
    summary_table,
)
from cdrp_lib.batch.execute import KernelDied, run_job
from cdrp_lib.batch.executors import Outcome, run_all
from cdrp_lib.batch.failures import describe_failure
from cdrp_lib.batch.figures import bulletin_record, merge_figures, rag_counts
from cdrp_lib.batch.manifest import published_records, rebuild_index
from cdrp_lib.batch.plan import (
    library_digest,
    page_key,
    params_digest,
    read_store_facts,
    store_digest,
    without_data,
)
from cdrp_lib.cli import main
from cdrp_lib.errors import InputError, InUseError, NotFoundError
from cdrp_lib.locking import exclusive, outputs_lock_file
from cdrp_lib.site import write_index
from cdrp_lib.store import connect_for_write

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "notebooks"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
PRODUCED_ON = "2026-01-15"
# id -> (name, monthly value): totals decide the fixture's RAG (<100 G, <200 A, else R).
PARTNERSHIPS = {
    "ashcombe": ("Ashcombe", 10.0),
    "brackenford": ("Brackenford", 40.0),
    "calder-vale": ("Calder Vale <b>&</b>", 80.0),
}
MONTHS = ("2025-10", "2025-11", "2025-12")
# A params file that validates (planning checks params before anything runs).
ASHCOMBE_PARAMS = "id: ashcombe\nname: Ashcombe\narea:\n  districts: [Ashcombe]\n"
# In params but its force's files were never ingested: no series, so no bulletin.
NO_DATA = ("dunmore", "Dunmore")


# ----------------------------------------------------------------------- scenario


def write_store(path: Path, partnerships: dict[str, tuple[str, float]] = PARTNERSHIPS,
                months: Sequence[str] = MONTHS) -> Path:
    """A store in the real schema (cdrp_lib.store) holding only what the fixtures read."""
    with connect_for_write(path) as con:
        for m in months:
            con.execute("INSERT INTO force_months VALUES ('demoshire', ?, 100)", [m])
        for pid, (name, value) in partnerships.items():
            con.execute("INSERT INTO partnerships VALUES (?, ?, 'auto', ?)",
                        [pid, name, pid != "ashcombe"])
            for m in months:
                con.execute("INSERT INTO series VALUES (?, 'all-crime', ?, ?, NULL)",
                            [pid, m, value])
        con.execute("INSERT INTO partnerships VALUES (?, ?, 'params', false)", list(NO_DATA))
    return path


def copy_notebook(fixture: str, theme: str, dest_dir: Path) -> Path:
    """Copy a fixture notebook as ``<theme>.ipynb``, telling it which theme it stands for."""
    nb = nbformat.read(FIXTURES / f"{fixture}.ipynb", as_version=4)
    for cell in nb.cells:
        cell.source = cell.source.replace('THEME = "summary"', f'THEME = "{theme}"')
    dest_dir.mkdir(parents=True, exist_ok=True)
    path = dest_dir / f"{theme}.ipynb"
    nbformat.write(nb, path)
    return path


def make_project(root: Path, pages: dict[str, str] | None = None) -> BatchSettings:
    """A temp project: store, params, notebooks (theme -> fixture name) and outputs."""
    pages = pages or {"summary": "writes_figures", "violence": "writes_figures"}
    root.mkdir(parents=True, exist_ok=True)
    write_store(root / "store.duckdb")
    params = root / "params"
    (params / "partnerships").mkdir(parents=True)
    (params / "measures.yaml").write_text("measures: []\n", encoding="utf-8")
    (params / "partnerships" / "ashcombe.yaml").write_text(ASHCOMBE_PARAMS, encoding="utf-8")
    for theme, fixture in pages.items():
        copy_notebook(fixture, theme, root / "notebooks")
    return BatchSettings(store=root / "store.duckdb", params_dir=params,
                         notebooks_dir=root / "notebooks", outputs_dir=root / "outputs",
                         project_root=PROJECT_ROOT, produced_on=PRODUCED_ON)


@pytest.fixture()
def project(tmp_path: Path) -> BatchSettings:
    return make_project(tmp_path / "project")


def cli_args(s: BatchSettings, *extra: str) -> list[str]:
    return ["run", "--store", str(s.store), "--params", str(s.params_dir),
            "--notebooks", str(s.notebooks_dir), "--outputs", str(s.outputs_dir),
            "--produced-on", s.produced_on, *extra]


def manifest_of(s: BatchSettings) -> dict[str, object]:
    """The newest run manifest."""
    paths = sorted((s.outputs_dir / "runs" / "manifests").glob("*.json"),
                   key=lambda p: p.stat().st_mtime_ns)
    doc: dict[str, object] = json.loads(paths[-1].read_text(encoding="utf-8"))
    return doc


def site_bytes(s: BatchSettings) -> dict[str, bytes]:
    """Every file of the site, relative name -> bytes."""
    site = s.outputs_dir / "site"
    return {p.relative_to(site).as_posix(): p.read_bytes()
            for p in sorted(site.rglob("*")) if p.is_file()}


class InProcess:
    """An executor running jobs one at a time in this process, as their outcomes are asked for.

    ``interrupt_after=n`` raises KeyboardInterrupt (as Ctrl-C would) once ``n`` jobs ended.
    """

    def __init__(self, interrupt_after: int | None = None) -> None:
        self._queue: deque[tuple[Job, int]] = deque()
        self._interrupt_after = interrupt_after
        self.submitted: list[tuple[str, int]] = []

    def submit(self, job: Job, attempt: int) -> None:
        self.submitted.append((job.partnership, attempt))
        self._queue.append((job, attempt))

    def busy(self) -> bool:
        return bool(self._queue)

    def next_outcomes(self) -> list[Outcome]:
        if self._interrupt_after is not None:
            if self._interrupt_after == 0:
                raise KeyboardInterrupt
            self._interrupt_after -= 1
        job, attempt = self._queue.popleft()
        return [Outcome(job, attempt, run_job(job, attempt))]

    def close(self) -> None:
        self._queue.clear()


# ------------------------------------------------------------------------ planning


def test_plan_one_job_per_partnership_with_summary_first(project: BatchSettings) -> None:
    jobs = plan_jobs(project, month="latest", partnerships=None, themes=["violence"])
    assert [j.partnership for j in jobs] == ["ashcombe", "brackenford", "calder-vale"]
    assert {j.month for j in jobs} == {"2025-12"}
    assert all(j.themes == ("summary", "violence") for j in jobs)
    assert jobs[2].partnership_name == "Calder Vale <b>&</b>"
    assert [j.synthetic for j in jobs] == [False, True, True]
    assert jobs[0].title("violence") == "Ashcombe: Violence, December 2025"
    params = jobs[0].parameters("violence")
    assert params["output_dir"] == str(jobs[0].staging_dir)
    assert params["produced_on"] == PRODUCED_ON and params["month"] == "2025-12"


def test_plan_named_partnerships_in_request_order_without_mutating(project: BatchSettings) -> None:
    wanted = ["calder-vale", "ashcombe", "calder-vale"]
    jobs = plan_jobs(project, month="2025-11", partnerships=wanted, themes=["summary"])
    assert [j.partnership for j in jobs] == ["calder-vale", "ashcombe"]
    assert wanted == ["calder-vale", "ashcombe", "calder-vale"]
    assert jobs[0].month == "2025-11"


def test_plan_reports_every_problem_at_once(project: BatchSettings) -> None:
    with pytest.raises(InputError) as info:
        plan_jobs(project, month="2025-13", partnerships=["ashcombe", "nowhere", "dunmore"],
                  themes=["violence", "burglary", "asb"])
    problems = info.value.problems
    rules = sorted(p.rule for p in problems)
    assert rules == ["`--month` is not a month", "notebook missing", "partnership has no data",
                     "unknown partnership", "unknown theme"]
    by_rule = {p.rule: p for p in problems}
    assert by_rule["unknown partnership"].found == "'nowhere'"
    assert by_rule["unknown partnership"].column == "--partnership"
    assert "ashcombe" in by_rule["unknown partnership"].expected
    assert by_rule["unknown theme"].found == "'burglary'"
    assert by_rule["notebook missing"].file.endswith("asb.ipynb")


def test_plan_rejects_a_month_after_the_data(project: BatchSettings) -> None:
    with pytest.raises(InputError, match="after the store's data"):
        plan_jobs(project, month="2026-01", partnerships=None, themes=["summary"])


def test_plan_needs_a_store(project: BatchSettings) -> None:
    with pytest.raises(NotFoundError, match="cdrp ingest"):
        plan_jobs(replace(project, store=project.store.with_name("missing.duckdb")),
                  month="latest", partnerships=None, themes=["summary"])


def test_settings_reject_unknown_renderer_and_bad_date(project: BatchSettings) -> None:
    with pytest.raises(ValueError, match="`renderer` must be one of 'nbconvert', 'quarto'"):
        replace(project, renderer="pandoc")
    with pytest.raises(ValueError, match="`produced_on` must be a date"):
        replace(project, produced_on="15/01/2026")


def _key(s: BatchSettings) -> str:
    return plan_jobs(s, month="latest", partnerships=["ashcombe"], themes=["violence"])[0].key


def test_key_is_stable_and_changes_with_each_input(project: BatchSettings) -> None:
    first = _key(project)
    assert _key(project) == first
    assert _key(replace(project, produced_on="2027-01-01")) == first  # an output, not an input
    assert _key(replace(project, renderer="quarto")) != first

    nb = project.notebooks_dir / "violence.ipynb"
    original = nb.read_bytes()
    nb.write_bytes(original.replace(b"Download the figures", b"Download figures"))
    assert _key(project) != first
    nb.write_bytes(original)

    target = project.params_dir / "partnerships" / "ashcombe.yaml"
    target.write_text(ASHCOMBE_PARAMS.replace("name: Ashcombe", "name: Ashcombe CSP"),
                      encoding="utf-8")
    assert _key(project) != first
    target.write_text(ASHCOMBE_PARAMS, encoding="utf-8")
    assert _key(project) == first

    with duckdb.connect(str(project.store)) as con:
        con.execute("UPDATE series SET value = 11 WHERE partnership = 'brackenford' "
                    "AND month = '2025-10'")
    assert _key(project) != first  # peers' series are inputs too


def test_checkpoints_an_analyst_leaves_are_no_input(project: BatchSettings) -> None:
    first = _key(project)
    for folder in (project.notebooks_dir, project.params_dir):
        checkpoints = folder / ".ipynb_checkpoints"
        checkpoints.mkdir()
        (checkpoints / "violence-checkpoint.ipynb").write_text("{}", encoding="utf-8")
    assert _key(project) == first


def test_key_follows_the_library_source_not_its_version(project: BatchSettings,
                                                         tmp_path: Path) -> None:
    import shutil

    import cdrp_lib

    package = tmp_path / "cdrp_lib"
    shutil.copytree(Path(cdrp_lib.__file__).parent, package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    first = library_digest(package)
    assert first == library_digest(Path(cdrp_lib.__file__).parent) == library_digest()
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "render.cpython-311.pyc").write_bytes(b"bytecode")
    (package / ".ipynb_checkpoints").mkdir()
    (package / ".ipynb_checkpoints" / "render-checkpoint.py").write_text("x", encoding="utf-8")
    assert library_digest(package) == first  # caches and checkpoints are not source
    render = package / "render.py"
    render.write_text(render.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    changed = library_digest(package)
    assert changed != first
    css = package / "templates" / "bulletin" / "static" / "bulletin.css"
    css.write_text(css.read_text(encoding="utf-8") + "p {}\n", encoding="utf-8")
    assert library_digest(package) not in (first, changed)
    (job,) = plan_jobs(project, month="latest", partnerships=["ashcombe"], themes=["violence"])
    assert dict(job.inputs)["cdrp_lib"] == first  # the installed package's source


def test_a_commentary_file_is_an_input_of_its_own_bulletin_only(project: BatchSettings) -> None:
    def keys() -> dict[str, str]:
        return {j.partnership: j.key for j in plan_jobs(project, month="2025-12",
                                                       partnerships=None, themes=["violence"])}

    params = params_digest(project.params_dir)
    before = keys()
    commentary = project.params_dir / "commentary"
    (commentary / "ashcombe").mkdir(parents=True)
    (commentary / "brackenford").mkdir(parents=True)
    mine = commentary / "ashcombe" / "2025-12.yaml"
    mine.write_text("themes:\n  violence: Operation Lantern began.\n", encoding="utf-8")
    (commentary / "brackenford" / "2025-12.yaml").write_text("themes: {}\n", encoding="utf-8")
    (commentary / "ashcombe" / "2025-11.yaml").write_text("themes: {}\n", encoding="utf-8")
    after = keys()
    assert params_digest(project.params_dir) == params  # commentary is not a shared input
    assert after["ashcombe"] != before["ashcombe"]
    assert after["brackenford"] != before["brackenford"]
    assert after["calder-vale"] == before["calder-vale"]

    mine.write_text("themes:\n  violence: Operation Lantern ended.\n", encoding="utf-8")
    edited = keys()
    assert edited["ashcombe"] != after["ashcombe"]
    assert {p: k for p, k in edited.items() if p != "ashcombe"} == {
        p: k for p, k in after.items() if p != "ashcombe"}
    (job,) = plan_jobs(project, month="2025-11", partnerships=["ashcombe"], themes=["violence"])
    assert dict(job.inputs)["commentary"] != "none"
    (job,) = plan_jobs(project, month="2025-10", partnerships=["ashcombe"], themes=["violence"])
    assert dict(job.inputs)["commentary"] == "none"


def test_store_digest_ignores_row_order_and_the_ingest_log(tmp_path: Path) -> None:
    a = write_store(tmp_path / "a.duckdb")
    b = write_store(tmp_path / "b.duckdb", dict(reversed(list(PARTNERSHIPS.items()))),
                    tuple(reversed(MONTHS)))
    assert store_digest(a) == store_digest(b)
    with duckdb.connect(str(b)) as con:
        con.execute("INSERT INTO input_files VALUES ('ab', 'x.csv', 'police', 1, now())")
    assert store_digest(a) == store_digest(b)
    with duckdb.connect(str(b)) as con:  # a duplicated row must not cancel out
        con.execute("INSERT INTO series SELECT * FROM series LIMIT 1")
        con.execute("INSERT INTO series SELECT * FROM series LIMIT 1")
    assert store_digest(a) != store_digest(b)


def test_store_facts(project: BatchSettings) -> None:
    facts = read_store_facts(project.store)
    assert facts.latest_month == "2025-12"
    assert [(p.id, p.synthetic, p.has_data) for p in facts.partnerships] == [
        ("ashcombe", False, True), ("brackenford", True, True), ("calder-vale", True, True),
        ("dunmore", False, False)]
    assert without_data(facts) == ["dunmore"]


# ------------------------------------------------------------------ figures merging


def _job(s: BatchSettings, themes: tuple[str, ...] = ("summary", "violence")) -> Job:
    job = plan_jobs(s, month="latest", partnerships=["ashcombe"], themes=["violence"])[0]
    return replace(job, themes=themes)


def _figures(job: Job, theme: str, entries: object) -> None:
    job.staging_dir.mkdir(parents=True, exist_ok=True)
    text = entries if isinstance(entries, str) else json.dumps(entries)
    (job.staging_dir / f"{theme}.figures.json").write_text(text, encoding="utf-8")


def _assessment(measure: str, rag: str | None, partnership: str = "ashcombe") -> dict[str, object]:
    return {"partnership": partnership, "measure": measure, "rag": rag,
            "not_assessed_reason": None if rag else "no_target"}


def test_merge_figures_in_page_order_keeping_exact_repeats_once(project: BatchSettings) -> None:
    job = _job(project)
    _figures(job, "summary", [_assessment("all-crime", "G"), _assessment("violent-crime", "R")])
    _figures(job, "violence", [_assessment("violent-crime", "R"), _assessment("weapons", None)])
    merged = merge_figures(job)
    assert [a["measure"] for a in merged] == ["all-crime", "violent-crime", "weapons"]
    assert rag_counts(merged) == {"G": 1, "A": 0, "R": 1, "none": 0}  # weapons: no target
    unrated_target = {**_assessment("burglary", None), "target_id": "burglary"}
    assert rag_counts([*merged, unrated_target])["none"] == 1


@pytest.mark.parametrize(("entries", "rule", "column"), [
    (None, "figures file missing", None),
    ("{not json", "figures file unreadable", None),
    ({"measure": "x"}, "figures file is not a list", None),
    (["x"], "not an Assessment", "[0]"),
    ([{"partnership": "ashcombe", "measure": "x", "rag": "G"}], "Assessment incomplete", "[0]"),
    ([_assessment("x", "G", partnership="brackenford")], "Assessment of another partnership",
     "[0].partnership"),
    ([_assessment("x", "G"), _assessment("y", "Green")], "unknown RAG", "[1].rag"),
])
def test_merge_figures_enforces_the_contract(project: BatchSettings, entries: object, rule: str,
                                             column: str | None) -> None:
    job = _job(project, themes=("summary",))
    job.staging_dir.mkdir(parents=True, exist_ok=True)
    if entries is not None:
        _figures(job, "summary", entries)
    with pytest.raises(InputError) as info:
        merge_figures(job)
    (problem,) = info.value.problems
    assert problem.rule == rule
    assert problem.column == column
    assert problem.file == "ashcombe/2025-12/summary.figures.json"


def test_merge_figures_collects_problems_of_every_page(project: BatchSettings) -> None:
    job = _job(project)
    _figures(job, "summary", [_assessment("x", "Red")])
    with pytest.raises(InputError) as info:
        merge_figures(job)
    assert [p.rule for p in info.value.problems] == ["unknown RAG", "figures file missing"]


def test_bulletin_record_holds_key_and_counts_but_no_paths_or_times(
        project: BatchSettings) -> None:
    job = _job(project)
    record = bulletin_record(job, {"G": 1, "A": 0, "R": 0, "none": 0})
    text = json.dumps(record)
    assert record["key"] == job.key and record["themes"] == ["summary", "violence"]
    assert record["pages"]["violence"]["key"] == page_key(job, "violence")
    assert "notebook:summary" not in record["pages"]["violence"]["inputs"]
    assert record["pages"]["violence"]["inputs"]["notebook:violence"]
    assert str(project.outputs_dir.parent) not in text


def test_describe_failure_is_one_path_free_line() -> None:
    from papermill.exceptions import PapermillExecutionError

    exc = PapermillExecutionError(3, 3, "open()", "FileNotFoundError",
                                  "[Errno 2] No such file: '/home/ann/x/store.duckdb'\nmore",
                                  ["tb"])
    assert describe_failure(exc) == "FileNotFoundError: [Errno 2] No such file: 'store.duckdb'"
    assert describe_failure(ValueError("bad\nworse")) == "ValueError: bad"


# -------------------------------------------------------------------------- retries


class FakeExecutor:
    """Reports scripted results: ``script[partnership]`` is a list of results by attempt."""

    def __init__(self, script: dict[str, list[Callable[[Job, int], JobResult]]]) -> None:
        self.script = script
        self.queue: deque[Outcome] = deque()
        self.submitted: list[tuple[str, int]] = []

    def submit(self, job: Job, attempt: int) -> None:
        self.submitted.append((job.partnership, attempt))
        self.queue.append(Outcome(job, attempt, self.script[job.partnership][attempt - 1](
            job, attempt)))

    def busy(self) -> bool:
        return bool(self.queue)

    def next_outcomes(self) -> list[Outcome]:
        return [self.queue.popleft()]

    def close(self) -> None:
        pass


def _ok(job: Job, attempt: int) -> JobResult:
    return JobResult(job.partnership, job.month, JobStatus.OK, 1.0, attempts=attempt)


def _died(job: Job, attempt: int) -> JobResult:
    return JobResult(job.partnership, job.month, JobStatus.FAILED, error="worker process died",
                     attempts=attempt, retriable=True)


def _raised(job: Job, attempt: int) -> JobResult:
    return JobResult(job.partnership, job.month, JobStatus.FAILED, error="ValueError: x",
                     attempts=attempt)


def test_run_all_retries_a_dead_worker_once_and_never_a_notebook_error(
        project: BatchSettings) -> None:
    jobs = plan_jobs(project, month="latest", partnerships=None, themes=["summary"])
    fake = FakeExecutor({"ashcombe": [_died, _died], "brackenford": [_died, _ok],
                         "calder-vale": [_raised]})
    seen: list[JobResult] = []
    results = run_all(fake, jobs, seen.append)
    assert sorted(fake.submitted) == [("ashcombe", 1), ("ashcombe", 2), ("brackenford", 1),
                                      ("brackenford", 2), ("calder-vale", 1)]
    assert [r.partnership for r in results] == ["ashcombe", "brackenford", "calder-vale"]
    assert [(r.status, r.attempts) for r in results] == [
        (JobStatus.FAILED, 2), (JobStatus.OK, 2), (JobStatus.FAILED, 1)]
    assert results[0].error == "worker process died (after 2 attempts)"
    assert not results[0].retriable
    assert len(seen) == 3


# ------------------------------------------------------------- manifest and index


def test_published_records_skip_working_folders_and_foreign_records(tmp_path: Path) -> None:
    site = tmp_path / "site"
    good = {"partnership": "ashcombe", "month": "2025-12", "partnership_name": "Ashcombe",
            "rag_counts": {"G": 2}}
    for rel, record in [("ashcombe/2025-12", good), ("ashcombe/.2025-12.staging", good),
                        ("brackenford/2025-12", good)]:
        (site / rel).mkdir(parents=True)
        (site / rel / "bulletin.json").write_text(json.dumps(record), encoding="utf-8")
    (site / "calder-vale" / "2025-12").mkdir(parents=True)
    (site / "calder-vale" / "2025-12" / "bulletin.json").write_text("{oops", encoding="utf-8")
    assert [r["partnership"] for r in published_records(site)] == ["ashcombe"]


def test_index_marks_this_runs_failure_over_the_published_bulletin(
        project: BatchSettings) -> None:
    job = _job(project)
    site = project.outputs_dir / "site"
    job.site_dir.mkdir(parents=True)
    (job.site_dir / "index.html").write_text("<h1>old</h1>", encoding="utf-8")
    (job.site_dir / "bulletin.json").write_text(json.dumps(
        bulletin_record(job, {"G": 3, "A": 1, "R": 0, "none": 0})), encoding="utf-8")
    index = rebuild_index(site, [])
    assert "ashcombe/2025-12/index.html" in index.read_text(encoding="utf-8")
    failed = JobResult("ashcombe", "2025-12", JobStatus.FAILED, error="violence: ValueError: x")
    html = rebuild_index(site, [(job, failed)]).read_text(encoding="utf-8")
    assert "violence: ValueError: x" in html


def test_summary_table_lists_every_bulletin(project: BatchSettings) -> None:
    from cdrp_lib.batch import BatchReport

    jobs = plan_jobs(project, month="latest", partnerships=None, themes=["summary"])
    results = (
        JobResult("ashcombe", "2025-12", JobStatus.OK, 12.34, attempts=2),
        JobResult("brackenford", "2025-12", JobStatus.SKIPPED, attempts=0),
        JobResult("calder-vale", "2025-12", JobStatus.FAILED, 3.0, error="asb: KeyError: 'x'"),
    )
    report = BatchReport("r", tuple(jobs), results, Path("m.json"), Path("i.html"), 15.0,
                         left_out=("dunmore",))
    lines = summary_table(report).splitlines()
    assert lines[0].split() == ["partnership", "month", "status", "seconds", "error"]
    assert lines[2].split() == ["ashcombe", "2025-12", "ok", "(2", "attempts)", "12.3"]
    assert lines[4].endswith("asb: KeyError: 'x'")
    assert lines[-2] == "3 bulletins: 1 made, 1 unchanged, 1 failed in 15.0 s"
    assert lines[-1] == "left out, no data in the store: dunmore"
    assert not report.ok


@pytest.mark.parametrize("argv", [
    ["--month", "2025-12", "--all", "--workers", "0"],
    ["--month", "2025-12", "--all", "--partnership", "x"],
    ["--month", "2025-12"],
    ["--month", "2025-12", "--all", "--produced-on", "15/01/2026"],
    ["--month", "2025-12", "--all", "--workers", "2", "--scheduler", "tcp://h:1"],
])
def test_cli_rejects_bad_options(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["run", *argv])
    assert info.value.code == 2
    assert "cdrp run: error:" in capsys.readouterr().err


def test_cli_reports_a_bad_request_as_one_line(project: BatchSettings,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    argv = cli_args(project, "--month", "2025-14", "--partnership", "nowhere", "--themes", "asb")
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cdrp run: error:")
    assert "\n" not in err
    for rule in ("unknown partnership", "notebook missing", "`--month` is not a month"):
        assert rule in err


# ------------------------------------------------------------- one batch at a time


def files_and_times(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under ``folder``: relative name -> (mtime in ns, bytes)."""
    return {p.relative_to(folder).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.timeout(120)
def test_cli_run_refuses_while_another_run_holds_the_outputs_and_writes_nothing(
        project: BatchSettings, hold_lock: Callable[[Path, str], subprocess.Popen[str]],
        capsys: pytest.CaptureFixture[str]) -> None:
    write_index(project.site_dir, [])  # what an earlier run left: an index and a manifest
    (project.runs_dir / "manifests").mkdir(parents=True)
    (project.runs_dir / "manifests" / "earlier.json").write_text("{}", encoding="utf-8")
    child = hold_lock(outputs_lock_file(project.outputs_dir), "cdrp run")
    before = files_and_times(project.outputs_dir)

    assert main(cli_args(project, "--month", "latest", "--all")) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith(f"cdrp run: error: {project.outputs_dir}/ is in use by another cdrp "
                          f"run (pid {child.pid} on host ")
    assert err.endswith("; wait for it to finish, or point --outputs elsewhere\n")
    assert files_and_times(project.outputs_dir) == before


def test_the_outputs_lock_is_held_while_bulletins_run_and_let_go_after(
        project: BatchSettings) -> None:
    lock_file = outputs_lock_file(project.outputs_dir)
    refusals: list[str] = []

    class Probe(FakeExecutor):
        """Tries the lock as a second batch would, as each bulletin is submitted."""

        def submit(self, job: Job, attempt: int) -> None:
            with pytest.raises(InUseError) as raised, exclusive(
                    lock_file, what="outputs/", activity="cdrp run", hint="wait"):
                pass
            refusals.append(str(raised.value))
            super().submit(job, attempt)

    report = run_batch(project, month="latest", partnerships=["ashcombe", "brackenford"],
                       themes=["summary"],
                       executor_factory=lambda jobs: Probe({"ashcombe": [_ok],
                                                            "brackenford": [_ok]}))
    assert report.ok and len(refusals) == 2
    assert all(f"another cdrp run (pid {os.getpid()} " in r for r in refusals)
    assert not lock_file.exists()
    with exclusive(lock_file, what="outputs/", activity="cdrp run", hint="wait"):
        pass


# ------------------------------------------------------------- real kernels (slow)


@pytest.mark.slow
def test_end_to_end_one_worker_then_skip_then_force_byte_identical(
        project: BatchSettings, capsys: pytest.CaptureFixture[str]) -> None:
    args = cli_args(project, "--month", "latest", "--partnership", "ashcombe", "calder-vale",
                    "--workers", "1", "--themes", "violence")
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "2 bulletins: 2 made, 0 unchanged, 0 failed" in out
    site = project.outputs_dir / "site"
    folder = site / "calder-vale" / "2025-12"
    assert sorted(p.name for p in folder.iterdir()) == [
        "bulletin.json", "data", "figures.json", "index.html", "violence.html"]
    assert (folder / "data" / "violence.csv").read_text(encoding="utf-8").splitlines()[1] == \
        "calder-vale,2025-12,240"
    figures = json.loads((folder / "figures.json").read_text(encoding="utf-8"))
    assert [(f["measure"], f["rag"]) for f in figures] == [
        ("summary-total", "R"), ("summary-untargeted", None),
        ("violence-total", "R"), ("violence-untargeted", None)]
    page = (folder / "violence.html").read_text(encoding="utf-8")
    assert "Calder Vale &lt;b&gt;&amp;&lt;/b&gt;: Violence, December 2025" in page
    assert f"produced on {PRODUCED_ON}" in page
    assert str(project.outputs_dir) not in page
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "ashcombe/2025-12/index.html" in index and "calder-vale/2025-12/index.html" in index
    executed = project.outputs_dir / "runs" / "ashcombe" / "2025-12" / "violence.ipynb"
    assert executed.is_file()
    assert not (project.outputs_dir / "runs" / "ashcombe" / "2025-12" / "site").exists()

    manifest = manifest_of(project)
    (job,) = [j for j in manifest["jobs"] if j["partnership"] == "ashcombe"]  # type: ignore[attr-defined,index]
    assert job["status"] == "ok" and job["attempts"] == 1 and job["retries"] == 0
    assert job["published"] == "site/ashcombe/2025-12"
    assert job["inputs"]["notebook:violence"]
    assert job["parameters"]["violence"]["produced_on"] == PRODUCED_ON
    assert [(p["theme"], p["status"], p["html"]) for p in job["pages"]] == [
        ("violence", "ok", "site/ashcombe/2025-12/violence.html"),
        ("summary", "ok", "site/ashcombe/2025-12/index.html")]
    assert all(p["execute_seconds"] > 0 for p in job["pages"])
    assert {p["kernel"] for p in job["pages"]} == {"forked"}  # from the worker's zygote
    first = site_bytes(project)

    assert main(args) == 0  # unchanged: nothing runs
    assert "2 bulletins: 0 made, 2 unchanged, 0 failed" in capsys.readouterr().out
    assert [j["status"] for j in manifest_of(project)["jobs"]] == ["skipped", "skipped"]  # type: ignore[attr-defined,index]

    assert main([*args, "--force"]) == 0
    assert "2 made" in capsys.readouterr().out
    assert site_bytes(project) == first


def _run(settings: BatchSettings, themes: Sequence[str] | None,
         force: bool = False) -> JobResult:
    executor = InProcess()
    report = run_batch(settings, month="latest", partnerships=["ashcombe"], themes=themes,
                       force=force, executor_factory=lambda jobs: executor)
    (result,) = report.results
    return result


def _nav(html: str) -> list[str]:
    return re.findall(r'<li><a (?:aria-current="page" )?href="([^"]+)"', html)


@pytest.mark.slow
def test_themes_remakes_the_named_pages_and_keeps_the_rest_of_the_bulletin(
        tmp_path: Path) -> None:
    settings = make_project(tmp_path / "project", {
        "summary": "writes_figures", "violence": "writes_figures", "asb": "writes_figures"})
    folder = settings.site_dir / "ashcombe" / "2025-12"

    first = _run(settings, ["violence"])  # nothing published yet: only these pages
    assert first.status is JobStatus.OK and first.kept == ()
    assert first.note is not None and first.note.startswith(
        "the bulletin holds only summary, violence: no acquisitive_crime, asb, ")
    assert sorted(p.name for p in folder.glob("*.html")) == ["index.html", "violence.html"]

    second = _run(settings, ["asb"])  # violence is kept, its bar now links asb too
    assert second.status is JobStatus.OK and second.kept == ("violence",)
    assert [p.theme for p in second.pages] == ["asb", "summary"]
    assert sorted(p.name for p in folder.glob("*.html")) == [
        "asb.html", "index.html", "violence.html"]
    violence = (folder / "violence.html").read_text(encoding="utf-8")
    assert _nav(violence) == ["index.html", "violence.html", "asb.html"]
    assert '<a aria-current="page" href="violence.html">' in violence
    assert sorted(p.name for p in (folder / "data").iterdir()) == [
        "asb.csv", "summary.csv", "violence.csv"]

    full = _run(settings, ["violence", "asb"], force=True)  # the bulletin made in one run
    assert full.kept == () and full.note is not None  # (the project has three pages only)
    made_whole = site_bytes(settings)
    assert made_whole["ashcombe/2025-12/violence.html"].decode("utf-8") == violence

    again = _run(settings, ["violence"], force=True)
    assert again.kept == ("asb",)
    assert site_bytes(settings) == made_whole  # kept pages, figures and record merge exactly
    record = json.loads((folder / "bulletin.json").read_text(encoding="utf-8"))
    figures = json.loads((folder / "figures.json").read_text(encoding="utf-8"))
    assert record["themes"] == ["summary", "violence", "asb"]
    assert [figures[i]["measure"] for i in record["pages"]["asb"]["figures"]] == [
        "asb-total", "asb-untargeted"]
    assert record["pages"]["asb"]["files"] == ["data/asb.csv"]
    assert [f["measure"] for f in figures] == [
        "summary-total", "summary-untargeted", "violence-total", "violence-untargeted",
        "asb-total", "asb-untargeted"]
    assert _run(settings, ["violence"]).status is JobStatus.SKIPPED  # every page current
    assert _run(settings, ["asb", "violence"]).status is JobStatus.SKIPPED

    nb = settings.notebooks_dir / "violence.ipynb"  # a changed notebook re-makes its page
    nb.write_bytes(nb.read_bytes().replace(b"Download the figures", b"Download figures"))
    asb_record = record["pages"]["asb"]
    changed = _run(settings, ["violence"])
    assert changed.status is JobStatus.OK and changed.kept == ("asb",)
    assert "Download figures (CSV)" in (folder / "violence.html").read_text(encoding="utf-8")
    assert (folder / "asb.html").read_bytes() == made_whole["ashcombe/2025-12/asb.html"]
    record = json.loads((folder / "bulletin.json").read_text(encoding="utf-8"))
    assert record["pages"]["asb"]["key"] == asb_record["key"]
    assert record["pages"]["violence"]["key"] != json.loads(
        made_whole["ashcombe/2025-12/bulletin.json"])["pages"]["violence"]["key"]


def test_themes_refuses_to_drop_pages_of_a_bulletin_with_no_page_records(
        project: BatchSettings) -> None:
    job = _job(project, themes=("summary",))
    job.site_dir.mkdir(parents=True)
    for name in ("index.html", "violence.html"):
        (job.site_dir / name).write_text("<h1>old</h1>", encoding="utf-8")
    (job.site_dir / "figures.json").write_text("[]", encoding="utf-8")
    old = {k: v for k, v in bulletin_record(replace(job, themes=("summary", "violence")),
                                            {}).items() if k != "pages"}
    (job.site_dir / "bulletin.json").write_text(json.dumps(old), encoding="utf-8")
    before = files_and_times(job.site_dir)
    result = run_job(job)
    assert result.status is JobStatus.FAILED and result.pages == ()
    assert result.error is not None and "make the whole bulletin once (without --themes)" in (
        result.error)
    assert files_and_times(job.site_dir) == before


@pytest.mark.slow
def test_failed_page_keeps_the_published_bulletin_and_marks_the_index(
        project: BatchSettings, capsys: pytest.CaptureFixture[str]) -> None:
    args = cli_args(project, "--month", "2025-12", "--partnership", "ashcombe", "--themes",
                    "summary", "violence")
    assert main(args) == 0
    before = site_bytes(project)
    capsys.readouterr()

    copy_notebook("raises_value_error", "violence", project.notebooks_dir)
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "ashcombe     2025-12  failed" in out
    assert "violence: ValueError: no series for ashcombe in 2025-12" in out
    after = site_bytes(project)
    assert {k: v for k, v in after.items() if k != "index.html"} == {
        k: v for k, v in before.items() if k != "index.html"}
    index = after["index.html"].decode("utf-8")
    assert "violence: ValueError: no series for ashcombe in 2025-12" in index
    executed = project.outputs_dir / "runs" / "ashcombe" / "2025-12" / "violence.ipynb"
    nb = nbformat.read(executed, as_version=4)
    assert any(o.get("ename") == "ValueError" for c in nb.cells for o in c.get("outputs", []))
    (job,) = manifest_of(project)["jobs"]  # type: ignore[misc]
    assert job["status"] == "failed" and job["published"] is None
    assert [(p["theme"], p["status"]) for p in job["pages"]] == [
        ("violence", "failed"), ("summary", "ok")]


@pytest.mark.slow
def test_interrupted_batch_resumes_without_redoing_finished_bulletins(
        project: BatchSettings) -> None:
    settings = project
    first = InProcess(interrupt_after=1)
    with pytest.raises(KeyboardInterrupt):
        run_batch(settings, month="latest", partnerships=["ashcombe", "brackenford"],
                  themes=["summary"], executor_factory=lambda jobs: first)
    statuses = [(j["partnership"], j["status"]) for j in manifest_of(settings)["jobs"]]  # type: ignore[attr-defined,index]
    assert statuses == [("ashcombe", "ok"), ("brackenford", "interrupted")]
    assert not (settings.outputs_dir / "site" / "brackenford").exists()

    second = InProcess()
    report = run_batch(settings, month="latest", partnerships=["ashcombe", "brackenford"],
                       themes=["summary"], executor_factory=lambda jobs: second)
    assert second.submitted == [("brackenford", 1)]
    assert [r.status for r in report.results] == [JobStatus.SKIPPED, JobStatus.OK]
    assert all(is_current(j) for j in report.jobs)


@pytest.mark.slow
def test_a_kernel_that_dies_is_retried_once(project: BatchSettings, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    copy_notebook("kills_its_worker", "summary", project.notebooks_dir)
    monkeypatch.setenv("CDRP_FIXTURE_KILL_TARGET", "kernel")
    monkeypatch.setenv("CDRP_FIXTURE_KILL", "ashcombe")
    monkeypatch.setenv("CDRP_FIXTURE_KILL_ONCE", "brackenford")
    monkeypatch.setenv("CDRP_FIXTURE_KILL_ONCE_DIR", str(tmp_path))
    executor = InProcess()
    report = run_batch(project, month="latest", partnerships=None, themes=["summary"],
                       executor_factory=lambda jobs: executor)
    assert sorted(executor.submitted) == [("ashcombe", 1), ("ashcombe", 2), ("brackenford", 1),
                                          ("brackenford", 2), ("calder-vale", 1)]
    assert [(r.status, r.attempts) for r in report.results] == [
        (JobStatus.FAILED, 2), (JobStatus.OK, 2), (JobStatus.OK, 1)]
    assert report.results[0].error is not None
    assert report.results[0].error.startswith("kernel died: DeadKernelError")
    assert report.results[0].error.endswith("(after 2 attempts)")


def test_kernel_death_is_retriable_not_a_page_failure(project: BatchSettings,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import cdrp_lib.batch.execute as execute

    def dies(job: Job, theme: str, started: object = None) -> tuple[Path, str]:
        raise KernelDied("DeadKernelError: Kernel died")

    monkeypatch.setattr(execute, "_execute_page", dies)
    result = run_job(_job(project), attempt=1)
    assert result.status is JobStatus.FAILED and result.retriable
    assert result.error == "kernel died: DeadKernelError: Kernel died"
    assert not _job(project).site_dir.exists()


def test_a_render_failure_fails_the_page(project: BatchSettings,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import cdrp_lib.batch.execute as execute

    def executed(job: Job, theme: str, started: object = None) -> tuple[Path, str]:
        path = job.run_dir / f"{theme}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}", encoding="utf-8")
        return path, "started"

    monkeypatch.setattr(execute, "_execute_page", executed)
    result = run_job(_job(project, themes=("summary",)))
    assert result.status is JobStatus.FAILED and not result.retriable
    assert result.pages[0].status is PageStatus.FAILED
    assert result.error is not None and result.error.startswith("summary: rendering failed:")


@pytest.mark.slow
def test_two_workers_a_dying_worker_takes_down_only_its_own_job(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path / "project", {"summary": "kills_its_worker"})
    monkeypatch.setenv("CDRP_FIXTURE_KILL", "ashcombe")
    monkeypatch.setenv("CDRP_FIXTURE_KILL_ONCE", "brackenford")
    monkeypatch.setenv("CDRP_FIXTURE_KILL_ONCE_DIR", str(tmp_path))
    assert main(cli_args(project, "--month", "latest", "--all", "--workers", "2",
                         "--themes", "summary")) == 1
    out = capsys.readouterr().out
    by_id = {j["partnership"]: j for j in manifest_of(project)["jobs"]}  # type: ignore[attr-defined]
    assert (by_id["ashcombe"]["status"], by_id["ashcombe"]["attempts"]) == ("failed", 2)
    assert by_id["ashcombe"]["error"] == (
        "worker process died (signal SIGKILL) (after 2 attempts)")
    assert (by_id["brackenford"]["status"], by_id["brackenford"]["attempts"]) == ("ok", 2)
    assert (by_id["calder-vale"]["status"], by_id["calder-vale"]["attempts"]) == ("ok", 1)
    assert "worker process died (signal SIGKILL)" in out
    assert "left out, no data in the store: dunmore" in out
    assert "dunmore" not in by_id
    assert (project.outputs_dir / "site" / "brackenford" / "2025-12" / "index.html").is_file()
    assert not (project.outputs_dir / "site" / "ashcombe" / "2025-12").exists()
    logs = list((project.outputs_dir / "runs" / "logs").glob("*-worker*.log"))
    assert len(logs) >= 3  # two workers, and a fresh one for each that died


# ------------------------------------------------------------------ forked kernels


def test_kernel_args_only_for_ipykernel_specs() -> None:
    from cdrp_lib.batch.kernels import _kernel_args

    assert _kernel_args(["/py", "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f",
                         "k.json"]) == ["-f", "k.json"]
    assert _kernel_args(["/usr/bin/R", "--slave", "-f", "k.json"]) is None


def test_forked_kernel_handle_sees_its_end() -> None:
    import subprocess
    import sys

    from cdrp_lib.batch.kernels import _ForkedKernel

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    handle = _ForkedKernel(child.pid)
    assert handle.poll() is None
    handle.kill()
    child.wait()  # we are its parent here, so we reap it (the zygote does in a batch)
    assert handle.poll() == 0 and handle.wait(timeout=1) == 0


def test_a_killed_kernel_is_seen_ended_before_the_zygote_reaps_it() -> None:
    """Killed, a kernel is a zombie until the zygote reaps it: that is its end already, so
    the page does not wait out jupyter_client's polling for it."""
    import subprocess
    import sys
    import time

    from cdrp_lib.batch.kernels import _ForkedKernel

    if not Path("/proc/self/stat").is_file():
        pytest.skip("no /proc here (not Linux): a kernel's end is seen once it is reaped")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    handle = _ForkedKernel(child.pid)
    try:
        assert handle.poll() is None
        handle.kill()
        deadline = time.monotonic() + 10
        while handle.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert handle.poll() == 0
        assert Path(f"/proc/{child.pid}").exists()  # not reaped yet: a zombie
    finally:
        child.kill()
        child.wait()


@pytest.mark.slow
def test_a_forked_kernel_is_fresh_with_its_own_cwd_and_env(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import papermill

    from cdrp_lib.batch.execute import KERNEL_ARGUMENTS
    from cdrp_lib.batch.kernels import (
        current_zygote,
        forking_kernel_manager_class,
        start_zygote,
        stop_zygote,
    )

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import gc, json, os, sys\n"
        "from pathlib import Path\n"
        "Path(os.environ['PROBE_OUT']).write_text(json.dumps({\n"
        "    'cwd': os.getcwd(), 'ppid': os.getppid(), 'pid': os.getpid(),\n"
        "    'env': os.environ.get('PROBE_VALUE'),\n"
        "    'state_left_by_an_earlier_notebook': 'probe_defined_here' in globals(),\n"
        "    'pandas_loaded': 'pandas' in sys.modules,\n"
        "    'history_file': get_ipython().history_manager.hist_file,\n"
        "    'frozen_for_the_collector': gc.get_freeze_count()}))\n"
        "probe_defined_here = 1\n")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    source = tmp_path / "probe.ipynb"
    nbformat.write(nb, source)
    zygote = start_zygote()
    if zygote is None:
        pytest.skip("os.fork is not available here: kernels start the usual way")
    try:
        pids = []
        for value in ("first", "second"):
            out = tmp_path / f"{value}.json"
            monkeypatch.setenv("PROBE_OUT", str(out))
            monkeypatch.setenv("PROBE_VALUE", value)
            papermill.execute_notebook(
                str(source), str(tmp_path / f"{value}.ipynb"), kernel_name="python3",
                progress_bar=False, resources={"metadata": {"path": str(tmp_path)}},
                kernel_manager_class=forking_kernel_manager_class(),
                extra_arguments=list(KERNEL_ARGUMENTS), shutdown_kernel="immediate")
            probe = json.loads(out.read_text(encoding="utf-8"))
            assert probe["cwd"] == str(tmp_path)
            assert probe["env"] == value
            assert probe["pandas_loaded"]  # preloaded by the zygote
            assert not probe["state_left_by_an_earlier_notebook"]
            assert probe["history_file"] == ":memory:"  # no shared SQLite history written
            # the zygote's imports are frozen: no collection in the kernel walks them
            assert probe["frozen_for_the_collector"] > 100_000
            assert current_zygote() is zygote
            pids.append((probe["pid"], probe["ppid"]))
        (pid1, ppid1), (pid2, ppid2) = pids
        assert pid1 != pid2 and ppid1 == ppid2  # two processes, forked by one zygote
    finally:
        stop_zygote()


def test_the_zygote_looks_up_the_machines_addresses_once_for_all_its_kernels() -> None:
    """Every kernel reads its connection file with jupyter_client, which looks up this
    machine's addresses (importing psutil) once per process: the zygote does it."""
    code = ("import sys\n"
            "from cdrp_lib.batch.kernels import preload_modules\n"
            "from jupyter_client import localinterfaces\n"
            "before = list(localinterfaces.LOCAL_IPS)\n"
            "preload_modules(('psutil',))\n"
            "print(bool(before), bool(localinterfaces.LOCAL_IPS), 'psutil' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=PROJECT_ROOT)
    assert done.stdout.split() == ["False", "True", "True"]


def test_progress_bar_counts_done_failed_and_remaining() -> None:
    import io

    from cdrp_lib.cli.run import _TqdmProgress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    progress = _TqdmProgress(screen)
    progress.planned(total=4, skipped=1)
    progress.finished(JobResult("a", "2025-12", JobStatus.OK, 1.0))
    progress.finished(JobResult("b", "2025-12", JobStatus.FAILED, 1.0, error="x"))
    progress.close()
    text = screen.getvalue()
    assert text.startswith("1 of 4 bulletins unchanged since published: skipped\n")
    assert "2/3" in text and "done 1, failed 1, remaining 1" in text
