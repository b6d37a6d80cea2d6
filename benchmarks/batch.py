"""Benchmark: `cdrp run` against the naive Papermill + nbconvert loop (issue 5).

In one run, on a fresh synthetic demo county (``cdrp demo-data``, ingested with
``cdrp ingest``) and the project's real theme notebooks:

1. naive: for each of ``--naive`` partnerships and each of the six notebooks,
   the ``papermill`` CLI then the ``jupyter nbconvert --to html --no-input``
   CLI, one at a time (what a first script would do);
2. ``cdrp run --workers 1`` on ``--partnerships`` partnerships (at least 20);
3. ``cdrp run --workers 2`` on the same, into a fresh outputs folder;
4. the same ``--workers 2`` command again with nothing changed (every bulletin
   is skipped: it measures planning, hashing and the index rebuild).

Each step is a subprocess timed by the wall clock (that is what a user waits
for), so every start-up cost is counted.  Peak memory is the largest sum, over
the step's whole process tree (CLI, workers, zygotes, kernels), of each
process's proportional set size (PSS: shared pages split between the
processes sharing them, so forked kernels are not counted many times), sampled
every ``SAMPLE_SECONDS``.

It prints seconds per bulletin (all six pages) for each step, the ratios to the
naive loop and peak memory, and the weight of the pages the two-worker run published
(median and largest, against issue 13's 80 kB and 200 kB); the last line is
machine-readable::

    RESULT seconds_per_bulletin_2w=<float> speedup_vs_naive=<float> rerun_fraction=<float>

Goals on the 2-core development machine (issue 13; issue 5 asked 10 s, 8x and
5%): at most 3 s per bulletin with two workers, at least 12x faster than the
naive loop, and an unchanged re-run at most 2% of a full run.
``benchmarks/profile_bulletin.py`` shows where one bulletin's time goes.  The
machine is shared, so figures move with its load; the load average before and
after each step is printed beside it.

Run: ``python benchmarks/batch.py [--partnerships 20] [--naive 3] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
THEMES = ("summary", "violence", "acquisitive_crime", "asb", "domestic_abuse", "perception")
MONTH = "2025-12"
PRODUCED_ON = "2026-01-15"
MIN_PARTNERSHIPS = 20
SAMPLE_SECONDS = 0.25
GOAL_SECONDS_2W = 3.0
GOAL_SPEEDUP = 12.0
GOAL_RERUN_FRACTION = 0.02
GOAL_MEDIAN_KB = 80  # issue 13, part 3: the published pages' weight
GOAL_MAX_KB = 200


@dataclass(frozen=True)
class Step:
    """One timed step: wall seconds, bulletins made, peak memory of its process tree (MB)."""

    name: str
    seconds: float
    bulletins: int
    peak_mb: float
    exit_codes: tuple[int, ...]
    load: str

    @property
    def per_bulletin(self) -> float:
        return self.seconds / self.bulletins


def _tree_pss_mb(root: int) -> float:
    """PSS (RSS where PSS is unreadable) of ``root`` and all its descendants, in MB."""
    import psutil  # a dependency of distributed, so always installed with cdrp_lib

    try:
        procs = [psutil.Process(root)]
        procs += procs[0].children(recursive=True)
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for proc in procs:
        try:
            info = proc.memory_full_info()
            total += getattr(info, "pss", info.rss)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return total / 2**20


class PeakSampler:
    """Samples a process tree's memory in a thread until stopped; keeps the peak."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, _tree_pss_mb(self.pid))
            self._stop.wait(SAMPLE_SECONDS)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_mb


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def _run(cmd: list[str], log: Path) -> tuple[float, float, int]:
    """Run ``cmd`` from the project root; returns (seconds, peak MB, exit code)."""
    with log.open("ab") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        sampler = PeakSampler(proc.pid)
        code = proc.wait()
        seconds = time.perf_counter() - t0
    return seconds, sampler.stop(), code


def _cdrp(*args: str) -> list[str]:
    return [str(BIN / "cdrp"), *args]


def page_sizes(site: Path) -> list[int]:
    """Bytes of every bulletin page the run published (``<partnership>/<month>/*.html``;
    the site's own index, history, guide and search pages are not bulletin pages)."""
    return sorted(p.stat().st_size for p in site.glob(f"*/{MONTH}/*.html"))


def prepare(work: Path, partnerships: int) -> tuple[Path, list[str]]:
    """Demo data for ``partnerships`` districts, ingested; returns the store and the ids."""
    raw, store = work / "raw", work / "store.duckdb"
    subprocess.run(_cdrp("demo-data", "--out", str(raw), "--partnerships", str(partnerships)),
                   cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(_cdrp("ingest", str(raw), "--store", str(store)), cwd=REPO,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import duckdb

    with duckdb.connect(str(store), read_only=True) as con:
        ids = [str(r[0]) for r in con.execute(
            "SELECT id FROM partnerships WHERE synthetic AND id IN "
            "(SELECT partnership FROM series WHERE value IS NOT NULL) ORDER BY id").fetchall()]
    if len(ids) < partnerships:
        raise SystemExit(f"the demo store holds {len(ids)} synthetic partnerships with data, "
                         f"fewer than the {partnerships} asked for")
    return store, ids[:partnerships]


def naive_loop(work: Path, store: Path, ids: list[str]) -> Step:
    """papermill CLI then jupyter nbconvert CLI, per notebook, one at a time."""
    log = work / "naive.log"
    seconds = peak = 0.0
    codes: list[int] = []
    load = _load()
    for pid in ids:
        out = work / "naive" / pid
        out.mkdir(parents=True, exist_ok=True)
        for theme in THEMES:
            executed = out / f"{theme}.ipynb"
            params = {"partnership": pid, "month": MONTH, "store": str(store),
                      "params_dir": str(REPO / "params"), "output_dir": str(out),
                      "produced_on": PRODUCED_ON}
            cmd = [str(BIN / "papermill"), str(REPO / "notebooks" / f"{theme}.ipynb"),
                   str(executed), "--no-progress-bar", "-k", "python3"]
            for key, value in params.items():
                cmd += ["-r", key, value]
            s, p, code = _run(cmd, log)
            seconds, peak = seconds + s, max(peak, p)
            codes.append(code)
            s, p, code = _run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
                               str(executed), "--output-dir", str(out)], log)
            seconds, peak = seconds + s, max(peak, p)
            codes.append(code)
    return Step("naive papermill + nbconvert CLIs", seconds, len(ids), peak, tuple(codes),
                f"{load}->{_load()}")


def cdrp_run(work: Path, store: Path, ids: list[str], workers: int, outputs: Path,
             name: str) -> Step:
    load = _load()
    cmd = _cdrp("run", "--month", MONTH, "--partnership", *ids, "--workers", str(workers),
                "--store", str(store), "--outputs", str(outputs), "--produced-on", PRODUCED_ON)
    seconds, peak, code = _run(cmd, work / f"{outputs.name}.log")
    return Step(name, seconds, len(ids), peak, (code,), f"{load}->{_load()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partnerships", type=int, default=MIN_PARTNERSHIPS,
                        help="bulletins per cdrp run (default: %(default)s)")
    parser.add_argument("--naive", type=int, default=3,
                        help="bulletins made by the naive loop (default: %(default)s)")
    parser.add_argument("--keep", type=Path,
                        help="work in this folder and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)
    if args.partnerships < 1 or args.naive < 1:
        parser.error("--partnerships and --naive must be at least 1")

    work = args.keep or Path(tempfile.mkdtemp(prefix="cdrp-bench-batch-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        store, ids = prepare(work, max(args.partnerships, args.naive))
        print(f"demo store: {len(ids)} partnerships, month {MONTH}; logs in {work}", flush=True)
        steps = [naive_loop(work, store, ids[: args.naive])]
        print(f"  {steps[-1].name}: {steps[-1].seconds:.1f} s", flush=True)
        batch_ids = ids[: args.partnerships]
        for workers in (1, 2):
            steps.append(cdrp_run(work, store, batch_ids, workers, work / f"out{workers}w",
                                  f"cdrp run --workers {workers}"))
            print(f"  {steps[-1].name}: {steps[-1].seconds:.1f} s", flush=True)
        steps.append(cdrp_run(work, store, batch_ids, 2, work / "out2w",
                              "cdrp run --workers 2, unchanged re-run"))
        sizes = page_sizes(work / "out2w" / "site")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    naive, _w1, w2, rerun = steps
    print()
    print(f"{'step':42} {'bulletins':>9} {'s total':>8} {'s/bulletin':>10} "
          f"{'vs naive':>8} {'peak MB':>8}  exit  load")
    for step in steps:
        print(f"{step.name:42} {step.bulletins:9d} {step.seconds:8.1f} {step.per_bulletin:10.2f} "
              f"{naive.per_bulletin / step.per_bulletin:7.1f}x {step.peak_mb:8.0f}  "
              f"{max(step.exit_codes):4d}  {step.load}")
    speedup = naive.per_bulletin / w2.per_bulletin
    rerun_fraction = rerun.seconds / w2.seconds
    print()
    print(f"goals: <= {GOAL_SECONDS_2W:g} s/bulletin with 2 workers: {w2.per_bulletin:.2f} "
          f"({'met' if w2.per_bulletin <= GOAL_SECONDS_2W else 'NOT met'}); "
          f">= {GOAL_SPEEDUP:g}x the naive loop: {speedup:.1f}x "
          f"({'met' if speedup >= GOAL_SPEEDUP else 'NOT met'}); "
          f"re-run <= {GOAL_RERUN_FRACTION:.0%} of a run: {rerun_fraction:.1%} "
          f"({'met' if rerun_fraction <= GOAL_RERUN_FRACTION else 'NOT met'})")
    if sizes:
        middle = statistics.median(sizes) / 1000
        print(f"pages: {len(sizes)} bulletin pages published, median {middle:.1f} kB, largest "
              f"{max(sizes) / 1000:.1f} kB (goals: median <= {GOAL_MEDIAN_KB} kB: "
              f"{'met' if middle <= GOAL_MEDIAN_KB else 'NOT met'}; none over {GOAL_MAX_KB} kB: "
              f"{'met' if max(sizes) / 1000 <= GOAL_MAX_KB else 'NOT met'})")
    if any(code != 0 for step in steps for code in step.exit_codes):
        print("warning: some step exited non-zero (a bulletin failed); see the logs"
              + ("" if args.keep is None else f" in {work}"))
    print(f"RESULT seconds_per_bulletin_2w={w2.per_bulletin:.3f} "
          f"speedup_vs_naive={speedup:.3f} rerun_fraction={rerun_fraction:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
