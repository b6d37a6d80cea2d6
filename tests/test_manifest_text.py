"""The run manifest written from kept job texts is the whole document's dump (issue 13)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from test_batch import make_project

from cdrp_lib.batch.jobs import JobResult, JobStatus, PageResult, PageStatus
from cdrp_lib.batch.manifest import (
    ManifestTexts,
    job_record,
    job_text,
    manifest_head,
    manifest_text,
)
from cdrp_lib.batch.plan import plan_jobs

REQUEST = {"month": "latest", "partnerships": "all", "note": "Ynys Môn – “quoted”"}
TIMING = {"started": "2026-01-15T09:00:00+00:00", "seconds": 1.5}


@pytest.mark.parametrize("finished", [0, 1, 3])
def test_the_text_is_the_documents_dump(tmp_path: Path, finished: int) -> None:
    settings = make_project(tmp_path / "project")
    jobs = plan_jobs(settings, month="latest", partnerships=None, themes=["violence"])
    assert len(jobs) == 3
    results = [JobResult(j.partnership, j.month, JobStatus.INTERRUPTED, attempts=0,
                         error="the batch was interrupted before this bulletin finished")
               for j in jobs]
    for i in range(finished):
        results[i] = JobResult(
            jobs[i].partnership, jobs[i].month, JobStatus.OK, 2.25, note="Môn’s note",
            pages=(PageResult("summary", PageStatus.OK, 1.0, 0.1, renderer="nbconvert",
                              kernel="forked"),))
    head = manifest_head("run-1", settings, REQUEST, results, TIMING)
    text = manifest_text(head, [job_text(j, r) for j, r in zip(jobs, results, strict=True)])
    document = {**head, "jobs": [job_record(j, r) for j, r in zip(jobs, results, strict=True)]}
    assert text == json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    assert json.loads(text) == document


def test_a_run_of_no_jobs_and_a_head_of_nothing() -> None:
    head = {"run_id": "r", "counts": {"ok": 0}}
    assert manifest_text(head, []) == json.dumps({**head, "jobs": []}, indent=1) + "\n"
    texts = ["  " + line for line in json.dumps({"a": 1}, indent=1).splitlines()]
    assert manifest_text({}, ["\n".join(texts)]) == json.dumps({"jobs": [{"a": 1}]},
                                                                 indent=1) + "\n"


def test_a_jobs_text_is_made_again_only_when_its_result_changed(tmp_path: Path) -> None:
    settings = make_project(tmp_path / "project")
    job = plan_jobs(settings, month="latest", partnerships=["ashcombe"], themes=["violence"])[0]
    texts = ManifestTexts()
    waiting = JobResult(job.partnership, job.month, JobStatus.INTERRUPTED, attempts=0)
    first = texts(job, waiting)
    assert texts(job, replace(waiting)) is first  # an equal result: the kept text
    done = replace(waiting, status=JobStatus.OK, attempts=1, seconds=3.0)
    assert texts(job, done) == job_text(job, done) != first
