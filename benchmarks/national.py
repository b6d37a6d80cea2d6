"""Benchmark: a national month, every partnership of a SYNTHETIC country, on this machine.

In one run (issue 13, part 2):

1. ``cdrp demo-data --national --partnerships N`` (default 300 partnerships in
   eight forces, multi-district CSPs, one force with a publication gap);
2. ``cdrp ingest`` of it into a new store;
3. ``cdrp run --month 2025-12 --all --workers 2``: local worker processes;
4. the same jobs, into a fresh outputs folder, on a dask.distributed
   ``LocalCluster`` of 2 worker processes of one thread each, started here and
   given to ``cdrp run --all --scheduler tcp://...`` (how ``cdrp run`` selects its
   dask executor); the cluster's start-up is timed apart;
5. the serial parts, timed alone in this process on the outputs of step 3:
   planning (``read_store_facts``, ``plan_jobs`` and the published-key check of
   every job: what ``cdrp run`` does before the first job starts), the site pages
   (``rebuild_index``: index page, history, list by partnership, guide and the new
   month's search bundle: what it does after the last job; and again with nothing
   changed), and ``cdrp publish`` of the site to a new folder (check, copy, swap)
   with no check cache, then again with the site unchanged (the check's facts from
   its cache beside the site), with their ratio;
6. the search index of a site holding ``--site-months`` months (this run's pages
   copied under earlier month names), adding one month: one Pagefind run over the
   whole site (as every run did before the index was split by month) against the
   index by month, which indexes the new month only; printed with their ratio.

``--serial-only --keep DIR`` repeats steps 5 and 6 on the outputs a kept run left.
``--prepare-only --keep DIR`` does steps 1 and 2 only, and ``--reuse --keep DIR`` then
starts at step 3 on that folder's data and store (their time is not in the RESULT
line); the folder's ``prepared.json`` says which ``--partnerships`` and ``--months``
made them, and ``--reuse`` refuses a folder made with others.

Peak memory is the largest sum, over this process's whole tree (``cdrp run``,
its workers and their kernels, the dask scheduler's and workers' processes), of
each process's proportional set size (PSS: shared pages split between the
processes sharing them, so forked kernels are not counted many times; RSS where
PSS is unreadable), sampled every ``SAMPLE_SECONDS``; the RSS sum (which counts
shared pages once per process, so it overstates) is printed beside it.

The last line is machine-readable::

    RESULT partnerships=<int> minutes_2w=<float> minutes_dask=<float> peak_gb=<float>

``partnerships`` is the number of bulletins ``cdrp run --all`` planned; ``peak_gb``
the larger of the two runs' peaks.  Goal on the 2-core machine: at most 15
minutes and 4 GB.  ``--partnerships 20`` makes a quick run.

Run: ``python benchmarks/national.py [--partnerships 300] [--months 40] [--site-months 12]
[--keep DIR] [--serial-only]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MONTH = "2025-12"
PRODUCED_ON = "2026-01-15"
SAMPLE_SECONDS = 0.5
GOAL_MINUTES = 15.0
GOAL_GB = 4.0
DASK_WORKERS = 2


def _tree_memory() -> tuple[float, float]:
    """(PSS, RSS) in bytes, summed over this process and all its descendants."""
    import psutil  # a dependency of distributed, so always installed with cdrp_lib

    me = psutil.Process()
    pss = rss = 0
    for proc in [me, *me.children(recursive=True)]:
        try:
            info = proc.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        pss += getattr(info, "pss", info.rss)
        rss += info.rss
    return float(pss), float(rss)


class PeakSampler:
    """Samples this process tree's memory in a thread between start and stop; keeps peaks."""

    def __init__(self) -> None:
        self.pss = self.rss = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            pss, rss = _tree_memory()
            self.pss, self.rss = max(self.pss, pss), max(self.rss, rss)
            self._stop.wait(SAMPLE_SECONDS)

    def stop(self) -> tuple[float, float]:
        self._stop.set()
        self._thread.join()
        return self.pss / 2**30, self.rss / 2**30


@dataclass(frozen=True)
class Step:
    """One timed batch: wall seconds, bulletins planned and made, peak memory (GB)."""

    name: str
    seconds: float
    planned: int
    made: int
    failed: int
    peak_gb: float
    rss_gb: float
    exit_code: int
    load: str

    @property
    def per_bulletin(self) -> float:
        return self.seconds / max(self.planned, 1)


def _cdrp(*args: str) -> list[str]:
    return [str(BIN / "cdrp"), *args]


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def _timed(cmd: list[str], log: Path) -> tuple[float, int]:
    with log.open("ab") as out:
        t0 = time.perf_counter()
        code = subprocess.run(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                              check=False).returncode
    return time.perf_counter() - t0, code


def _statuses(outputs: Path) -> tuple[int, int, int]:
    """(planned, made, failed) from the run's manifest."""
    manifests = sorted((outputs / "runs" / "manifests").glob("*.json"))
    if not manifests:
        return 0, 0, 0
    jobs = json.loads(manifests[-1].read_text(encoding="utf-8"))["jobs"]
    status = [j.get("status") for j in jobs]
    return len(jobs), status.count("ok"), status.count("failed")


def batch(name: str, work: Path, store: Path, outputs: Path, *where: str) -> Step:
    load = _load()
    sampler = PeakSampler()
    seconds, code = _timed(_cdrp("run", "--month", MONTH, "--all", *where, "--store", str(store),
                                 "--outputs", str(outputs), "--produced-on", PRODUCED_ON),
                           work / f"{outputs.name}.log")
    pss, rss = sampler.stop()
    planned, made, failed = _statuses(outputs)
    return Step(name, seconds, planned, made, failed, pss, rss, code, f"{load}->{_load()}")


def dask_batch(work: Path, store: Path, outputs: Path) -> tuple[Step, float]:
    """The same jobs on a LocalCluster of DASK_WORKERS single-thread processes."""
    import dask
    import distributed

    # distributed is not fully typed: its objects are handled as Any here.
    cluster_class: Any = distributed.LocalCluster
    t0 = time.perf_counter()
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        cluster: Any = cluster_class(n_workers=DASK_WORKERS, threads_per_worker=1,
                                     processes=True, dashboard_address=None, silence_logs=40)
    start = time.perf_counter() - t0
    try:
        step = batch(f"dask LocalCluster {DASK_WORKERS}x1", work, store, outputs,
                     "--scheduler", str(cluster.scheduler_address))
    finally:
        cluster.close()
    return step, start


def serial_parts(work: Path, store: Path, outputs: Path) -> dict[str, float]:
    """Seconds of what no number of workers shortens: planning, the site pages, publish.

    ``index`` is what ``cdrp run`` does after its last job for a new month: the index
    page, history, the list by partnership, the guide and the month's search bundle
    (the site's ``pagefind/`` removed first, as a month never indexed); ``index_again``
    the same when no page changed (a re-run).
    """
    from cdrp_lib.batch import BatchSettings
    from cdrp_lib.batch.manifest import rebuild_index
    from cdrp_lib.batch.plan import is_current, plan_jobs, read_store_facts
    from cdrp_lib.site.search import INDEX_DIR

    settings = BatchSettings(store=store, params_dir=REPO / "params",
                             notebooks_dir=REPO / "notebooks", outputs_dir=outputs,
                             project_root=REPO, produced_on=PRODUCED_ON)
    t0 = time.perf_counter()
    facts = read_store_facts(store)
    jobs = plan_jobs(settings, month=MONTH, partnerships=None, facts=facts)
    current = sum(is_current(j) for j in jobs)
    planning = time.perf_counter() - t0
    shutil.rmtree(settings.site_dir / INDEX_DIR, ignore_errors=True)
    index, index_again = (_seconds(lambda: rebuild_index(
        settings.site_dir, [], runs_dir=settings.runs_dir, params_dir=settings.params_dir))
        for _ in range(2))
    publish, publish_again = publish_twice(work, settings.site_dir)
    return {"planning": planning, "index": index, "index_again": index_again,
            "publish": publish, "publish_again": publish_again,
            "jobs": float(len(jobs)), "current": float(current),
            "pages": float(len(list(settings.site_dir.glob("*/*/*.html"))))}


def publish_twice(work: Path, site: Path) -> tuple[float, float]:
    """Seconds of ``cdrp publish`` of ``site`` to a new folder with no check cache beside the
    site (every page parsed), then again with nothing changed (every file's check facts from
    the cache; links resolved afresh; the site copied and swapped in again)."""
    from cdrp_lib.site import PREVIOUS_SUFFIX, check_cache_file

    dest = work / "published"
    shutil.rmtree(dest, ignore_errors=True)
    shutil.rmtree(dest.with_name(dest.name + PREVIOUS_SUFFIX), ignore_errors=True)
    check_cache_file(site).unlink(missing_ok=True)
    seconds: list[float] = []
    for _ in range(2):
        took, code = _timed(_cdrp("publish", str(dest), "--site", str(site)),
                            work / "publish.log")
        if code:
            print(f"warning: cdrp publish exited {code}; see {work / 'publish.log'}")
        seconds.append(took)
    return seconds[0], seconds[1]


def _seconds(call: Any) -> float:
    t0 = time.perf_counter()
    call()
    return time.perf_counter() - t0


#: Pagefind's glob before the search index was split by month: every page of every month.
WHOLE_SITE_GLOB = "{*/*/*.html,guide.html,partnerships.html}"


def search_by_month(work: Path, site: Path, months: int) -> dict[str, float]:
    """The search index of a site holding ``months`` months, before and after the split.

    The site's HTML is copied under ``months`` month names (this run's pages stand for
    every month); then the time of indexing the whole site in one Pagefind run (what
    every ``cdrp run`` did before, whatever it changed) against the time of adding one
    more month to the index by month (what a run making a new month does now).
    """
    from cdrp_lib.periods import Month
    from cdrp_lib.site.search import _run_pagefind, build_search_index

    big = work / "site-months"
    shutil.rmtree(big, ignore_errors=True)
    last = Month.parse(MONTH)
    names = [str(last - k) for k in range(months, -1, -1)]  # the last one is the new month
    big.mkdir(parents=True)
    for name in ("guide.html", "partnerships.html"):
        shutil.copy2(site / name, big / name)
    pages = sorted(site.glob(f"*/{MONTH}/*.html"))

    def add_month(name: str) -> None:
        for page in pages:
            dest = big / page.parent.parent.name / name / page.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(page.read_bytes().replace(MONTH.encode(), name.encode()))

    for name in names[:-1]:
        add_month(name)
    build_search_index(big)  # the index by month of the months already published
    add_month(names[-1])
    whole = _seconds(lambda: _run_pagefind(big, WHOLE_SITE_GLOB, work / "whole-index"))
    t0 = time.perf_counter()
    made = build_search_index(big)
    by_month = time.perf_counter() - t0
    shutil.rmtree(work / "whole-index", ignore_errors=True)
    shutil.rmtree(big, ignore_errors=True)
    return {"months": float(len(made.months)), "indexed": float(len(made.indexed)),
            "pages": float(len(pages) * len(names)), "whole": whole, "by_month": by_month}


def prepare(work: Path, raw: Path, store: Path, partnerships: int, months: int) -> None:
    """Steps 1 and 2: the national demo data, ingested into a new store."""
    seconds, code = _timed(_cdrp("demo-data", "--national", "--out", str(raw),
                                 "--partnerships", str(partnerships),
                                 "--months", str(months)), work / "demo.log")
    if code:
        raise SystemExit(f"cdrp demo-data failed; see {work / 'demo.log'}")
    print(f"demo-data --national --partnerships {partnerships}: {seconds:.1f} s; "
          f"logs in {work}", flush=True)
    store.unlink(missing_ok=True)
    seconds, code = _timed(_cdrp("ingest", str(raw), "--store", str(store)),
                           work / "ingest.log")
    if code:
        raise SystemExit(f"cdrp ingest failed; see {work / 'ingest.log'}")
    print(f"ingest: {seconds:.1f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partnerships", type=int, default=300,
                        help="partnerships of the national demo (default: %(default)s)")
    parser.add_argument("--months", type=int, default=40,
                        help="months of the national demo (default: %(default)s)")
    parser.add_argument("--site-months", type=int, default=12,
                        help="months the site holds when the search index is timed "
                             "(default: %(default)s)")
    parser.add_argument("--keep", type=Path,
                        help="work in this folder and keep it (default: a temporary folder)")
    parser.add_argument("--serial-only", action="store_true",
                        help="time only the serial parts, on the outputs a run with --keep "
                             "left in that folder")
    parser.add_argument("--prepare-only", action="store_true",
                        help="make and ingest the national demo into --keep DIR, then stop")
    parser.add_argument("--reuse", action="store_true",
                        help="use the data and store a --prepare-only run left in --keep DIR")
    args = parser.parse_args(argv)
    if (args.prepare_only or args.reuse) and args.keep is None:
        parser.error("--prepare-only and --reuse need --keep DIR")
    if args.serial_only:
        if args.keep is None or not (args.keep / "out2w" / "site").is_dir():
            parser.error("--serial-only needs --keep DIR holding a kept run's outputs")
        return _report_serial(args.keep, args.site_months)

    work = args.keep or Path(tempfile.mkdtemp(prefix="cdrp-bench-national-"))
    work.mkdir(parents=True, exist_ok=True)
    raw, store = work / "raw", work / "store.duckdb"
    prepared = work / "prepared.json"
    made_with = {"partnerships": args.partnerships, "months": args.months}
    try:
        if args.reuse:
            found = json.loads(prepared.read_text()) if prepared.is_file() else None
            if found != made_with or not store.is_file():
                raise SystemExit(f"{work}: no data and store prepared with {made_with} "
                                 f"(found {found}); run --prepare-only first")
            print(f"reusing the data and store in {work} ({made_with})", flush=True)
        else:
            prepared.unlink(missing_ok=True)
            prepare(work, raw, store, args.partnerships, args.months)
            prepared.write_text(json.dumps(made_with))
        if args.prepare_only:
            return 0
        for out in ("out2w", "outdask", "published"):
            shutil.rmtree(work / out, ignore_errors=True)
        local = batch("cdrp run --all --workers 2", work, store, work / "out2w",
                      "--workers", "2")
        print(f"  {local.name}: {local.seconds / 60:.2f} min", flush=True)
        dask_step, cluster_start = dask_batch(work, store, work / "outdask")
        print(f"  {dask_step.name}: {dask_step.seconds / 60:.2f} min "
              f"(cluster start {cluster_start:.1f} s, not counted)", flush=True)
        print()
        print(f"{'step':32} {'bulletins':>9} {'made':>5} {'failed':>6} {'minutes':>8} "
              f"{'s/bulletin':>10} {'peak GB':>8} {'RSS GB':>7}  exit  load")
        for s in (local, dask_step):
            print(f"{s.name:32} {s.planned:9d} {s.made:5d} {s.failed:6d} "
                  f"{s.seconds / 60:8.2f} {s.per_bulletin:10.2f} {s.peak_gb:8.2f} "
                  f"{s.rss_gb:7.2f}  {s.exit_code:4d}  {s.load}")
        print()
        serial = _report_serial(work, args.site_months, local.seconds)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    minutes_2w, minutes_dask = local.seconds / 60, dask_step.seconds / 60
    peak = max(local.peak_gb, dask_step.peak_gb)
    worst = max(minutes_2w, minutes_dask)
    print(f"goals: <= {GOAL_MINUTES:g} minutes: {worst:.2f} "
          f"({'met' if worst <= GOAL_MINUTES else 'NOT met'}); <= {GOAL_GB:g} GB: {peak:.2f} "
          f"({'met' if peak <= GOAL_GB else 'NOT met'})")
    if serial or local.exit_code or dask_step.exit_code or local.failed or dask_step.failed:
        print("warning: a bulletin or the publication failed; see the logs"
              + ("" if args.keep is None else f" in {work}"))
    print(f"RESULT partnerships={local.planned} minutes_2w={minutes_2w:.3f} "
          f"minutes_dask={minutes_dask:.3f} peak_gb={peak:.3f}")
    return 0


def _report_serial(work: Path, site_months: int, run_seconds: float | None = None) -> int:
    """Time and print the serial parts on ``work``'s 2-worker outputs; 1 if publish failed."""
    load = _load()
    serial = serial_parts(work, work / "store.duckdb", work / "out2w")
    search = search_by_month(work, work / "out2w" / "site", site_months)
    jobs = int(serial["jobs"])
    print(f"serial parts for {jobs} bulletins ({int(serial['pages'])} pages; load "
          f"{load}->{_load()}): planning {serial['planning']:.2f} s (store facts, {jobs} jobs "
          f"planned, published keys checked); index {serial['index']:.2f} s (index page, "
          f"history, partnerships, guide, the new month's search bundle), "
          f"{serial['index_again']:.2f} s when nothing changed")
    print(f"publish (check, copy, swap): first {serial['publish']:.2f} s (every page parsed), "
          f"unchanged site {serial['publish_again']:.2f} s (check facts from the cache): "
          f"ratio {serial['publish'] / serial['publish_again']:.1f}x")
    print(f"search index of a site of {int(search['months'])} months ({int(search['pages'])} "
          f"pages), adding one: whole site in one Pagefind run (before) {search['whole']:.2f} s, "
          f"by month ({int(search['indexed'])} month indexed, the others kept) "
          f"{search['by_month']:.2f} s: ratio {search['whole'] / search['by_month']:.1f}x")
    if run_seconds is not None:
        serial_total = serial["planning"] + serial["index"]
        parallel = max(run_seconds - serial_total, 0.0)
        print(f"of the 2-worker run's {run_seconds:.1f} s, {serial_total:.1f} s is serial "
              f"(planning + index); the other {parallel:.1f} s divides over N workers: about "
              f"{serial_total:.1f} + {parallel * 2:.0f} / N s (N <= 2 cores here)")
    return 1 if not (work / "published").is_dir() else 0


if __name__ == "__main__":
    sys.exit(main())
