"""A bulletin's records: ``figures.json`` merged from its pages, and ``bulletin.json``.

Each page's notebook writes ``<theme>.figures.json``; they are checked against
the notebook contract and merged in page order (exact repeats once).
``bulletin.json`` records per page the key and inputs that made it, the files
it wrote and which figures are its own, with the RAG counts the site index is
rebuilt from, and nothing that changes between identical runs.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cdrp_lib.batch.failures import describe_failure
from cdrp_lib.batch.jobs import Job, figures_file
from cdrp_lib.errors import InputError, Problem
from cdrp_lib.version import __version__

ASSESSMENT_KEYS = ("partnership", "measure", "rag", "not_assessed_reason")
RAG_NONE = "none"
RAG_VALUES = {"G": "G", "A": "A", "R": "R", None: RAG_NONE}
def read_page_figures(job: Job) -> dict[str, list[dict[str, Any]]]:
    """Each page's Assessments from its ``<theme>.figures.json``, checked against the contract.

    Raises :class:`InputError` naming each file and entry that breaks the contract.
    """
    found: dict[str, list[dict[str, Any]]] = {}
    problems: list[Problem] = []
    for theme in job.themes:
        path = job.staging_dir / figures_file(theme)
        name = f"{job.partnership}/{job.month}/{path.name}"
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            problems.append(Problem(name, "figures file missing",
                                    f"the {theme} notebook to write it", "no such file"))
            continue
        except (OSError, ValueError) as exc:
            problems.append(Problem(name, "figures file unreadable", "a JSON list",
                                    describe_failure(exc)))
            continue
        if not isinstance(entries, list):
            problems.append(Problem(name, "figures file is not a list",
                                    "a JSON list of Assessments", type(entries).__name__))
            continue
        found[theme] = []
        for i, entry in enumerate(entries):
            where = f"[{i}]"
            if not isinstance(entry, dict):
                problems.append(Problem(name, "not an Assessment", "a JSON object",
                                        type(entry).__name__, column=where))
                continue
            missing = [k for k in ASSESSMENT_KEYS if k not in entry]
            if missing:
                problems.append(Problem(name, "Assessment incomplete",
                                        f"keys {', '.join(ASSESSMENT_KEYS)}",
                                        f"no {', '.join(missing)}", column=where))
                continue
            if entry["partnership"] != job.partnership:
                problems.append(Problem(name, "Assessment of another partnership",
                                        repr(job.partnership), repr(entry["partnership"]),
                                        column=f"{where}.partnership"))
            if entry["rag"] not in RAG_VALUES:
                problems.append(Problem(name, "unknown RAG", "'G', 'A', 'R' or null",
                                        repr(entry["rag"]), column=f"{where}.rag"))
            found[theme].append(entry)
    if problems:
        raise InputError(problems)
    return found


def merge_page_figures(
    per_page: dict[str, list[dict[str, Any]]], order: Sequence[str],
) -> tuple[list[dict[str, Any]], dict[str, list[int]]]:
    """``figures.json`` in page order, exact repeats kept once; and each page's entries in it.

    The second value maps each theme to the positions of its own entries in the
    merged list (what ``bulletin.json`` records, so a later run that keeps the
    page can take its figures back out).
    """
    merged: list[dict[str, Any]] = []
    position: dict[str, int] = {}
    refs: dict[str, list[int]] = {}
    for theme in [*(t for t in order if t in per_page), *(t for t in per_page if t not in order)]:
        refs[theme] = []
        for entry in per_page[theme]:
            canonical = json.dumps(entry, sort_keys=True)
            if canonical not in position:
                position[canonical] = len(merged)
                merged.append(entry)
            refs[theme].append(position[canonical])
    return merged, refs


def merge_figures(job: Job) -> list[dict[str, Any]]:
    """Every page's Assessments, in page order, checked against the notebook contract.

    Exact repeats (a summary page showing a theme's measure) are kept once.
    Raises :class:`InputError` naming each file and entry that breaks the contract.
    """
    return merge_page_figures(read_page_figures(job), job.page_ids)[0]


def rag_counts(assessments: list[dict[str, Any]]) -> dict[str, int]:
    """``{"G": n, "A": n, "R": n, "none": n}`` over the bulletin's targets.

    Monitoring indicators (no target, so never rated) are not counted, so the
    index agrees with the front page's "Of the 11 targets, ... not assessed".
    """
    counts = Counter(RAG_VALUES[a["rag"]] for a in assessments
                     if a["rag"] is not None or a.get("target_id") is not None)
    return {code: counts.get(code, 0) for code in ("G", "A", "R", RAG_NONE)}


def page_record(job: Job, theme: str, files: Sequence[str] = (),
                figures: Sequence[int] = ()) -> dict[str, Any]:
    """What ``bulletin.json`` records of a page this job made: key, inputs, files, figures."""
    from cdrp_lib.batch.plan import page_inputs, page_key

    return {
        "key": page_key(job, theme),
        "inputs": page_inputs(job, theme),
        "produced_on": job.settings.produced_on,
        "files": sorted(files),
        "figures": list(figures),
    }


def bulletin_record(job: Job, counts: dict[str, int],
                    pages: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """``bulletin.json``: what the folder holds, and per page the key and inputs that made it.

    ``pages`` defaults to a record of each page of the job.  The folder's
    ``key`` is the digest of its pages' keys.  It carries the RAG counts so that
    the site index is rebuilt from these small files alone, and no timings or
    run ids, so that a re-run writes the same bytes.
    """
    from cdrp_lib.batch.plan import bulletin_key

    pages = pages if pages is not None else {t: page_record(job, t) for t in job.themes}
    return {
        "rag_counts": counts,
        "partnership": job.partnership,
        "partnership_name": job.partnership_name,
        "synthetic": job.synthetic,
        "month": job.month,
        "themes": job.in_page_order(pages),
        "produced_on": job.settings.produced_on,
        "cdrp_lib_version": __version__,
        "key": bulletin_key({t: str(p["key"]) for t, p in pages.items()}),
        "pages": pages,
    }


def write_json(path: Path, doc: object) -> None:
    path.write_text(json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")


def assessment_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """A figures.json entry without what the page added beside the Assessment (commentary,
    last month's rating), so it reads back as one."""
    from cdrp_lib.pages.page import PAGE_KEYS

    return {k: v for k, v in doc.items() if k not in PAGE_KEYS}
