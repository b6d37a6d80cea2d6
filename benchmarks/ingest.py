"""Benchmark: `cdrp ingest` against a plain pandas baseline on >= 3 million real rows.

The input is ../shared/data/police-uk/all-forces-2019-01.zip (41 forces, ~358,000
rows), extracted once and repeated until there are at least ``--rows`` rows.
Each repeat is a distinct input, as another force would be: copy ``k`` of
``2019-01-kent-street.csv`` is ``2019-01-kent-copyk-street.csv`` with ``copyk``
written into the empty Context field of its first row, so its sha256 differs and
ingest reads it rather than skipping a known file.  Preparing the copies is not
timed.

* ours: :func:`cdrp_lib.ingest.ingest` of the folder into a new store: discovery,
  sha256 of every file, header/UTF-8/row validation, Crime ID deduplication,
  aggregation, the store writes and the series rebuild (with params/measures.yaml
  and no partnership params, so the figure is the ingest and not YAML parsing);
* baseline: ``pandas.read_csv`` of each file, ``concat``, and ``groupby`` to the same
  monthly counts (force, month, LSOA code, LSOA name, crime type), with no
  validation or deduplication at all.

Each runs in its own subprocess so that peak memory (``ru_maxrss``) is its own;
imports are done before the clock starts in both.  The copies are flushed to disk
before either runs (so neither pays for the other's write-back), and with
``--repeat`` the two alternate, so a busy machine slows both alike; the fastest run
of each is compared.  CPU seconds and the load average are printed beside the wall
times: on a shared machine they say how much of a ratio is the machine.  The last line is
``RESULT rows=<int> speedup=<float> memory_ratio=<float>`` (memory_ratio = ours /
baseline peak memory).  Goal: speedup >= 5 and memory_ratio <= 0.5.

A third subprocess, the *floor*, does only the work issue 2 cannot do without, with
nothing else: the sha256 of every file (the store records it), one DuckDB scan that
groups the five needed columns and finds repeated Crime IDs (the first pass of
:mod:`cdrp_lib.sources.police_uk` without its validation), and persisting the counts
to a store file.  It prints the best speedup any ingest built on those parts could
reach: the baseline's time over the floor's CPU seconds spread perfectly over every
core, before any validation report, second pass, series rebuild or commit.  With
``--repeat`` it alternates with the other two and its cheapest run is used, as theirs
are; the share of that ceiling ours reaches is the figure that least depends on how
busy the machine is (issue 2 measured ours at 3.0x of a 4.9-5.0x ceiling: 61%).

A second measurement (issue 13) asks whether an ingest's cost follows the new
month rather than the store: the national month is rewritten as each of the
``--months`` (36) months before it (its Month column and file names; not timed),
those are ingested into a store once, and then the real month is ingested (a) into
a copy of that store and (b) into an empty store, each in its own subprocess.
``append_ratio`` is (a) over (b): goal at most 2.  It prints the line
``RESULT_APPEND months=<int> append_ratio=<float>`` before the RESULT line.

Run: ``python benchmarks/ingest.py [--rows 3000000] [--repeat 1] [--months 36]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SOURCE_ZIP = SHARED / "data" / "police-uk" / "all-forces-2019-01.zip"
TARGET_ROWS = 3_000_000
GOAL_SPEEDUP = 5.0
GOAL_MEMORY_RATIO = 0.5
GOAL_APPEND_RATIO = 2.0
HISTORY_MONTHS = 36
STREET_SUFFIX = "-street.csv"


def _peak_mb() -> float:
    """Peak resident memory of this process in MB (ru_maxrss is KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    """User + system CPU time of this process: a figure less disturbed by a busy machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def prepare(folder: Path, min_rows: int) -> int:
    """Extract the zip and repeat its files under distinct force names; return the row count."""
    originals = folder / "originals"
    with zipfile.ZipFile(SOURCE_ZIP) as archive:
        archive.extractall(originals)
    files = sorted(originals.rglob(f"*{STREET_SUFFIX}"))
    rows_once = 0
    for path in files:
        with path.open("rb") as handle:
            rows_once += sum(1 for _ in handle) - 1
    copies = max(1, math.ceil(min_rows / rows_once))
    out = folder / "input"
    for path in files:
        data = path.read_bytes()
        header_end = data.index(b"\n") + 1
        row_end = data.index(b"\n", header_end)
        first_row = data[header_end:row_end].rstrip(b"\r")
        if not first_row.endswith(b","):
            raise SystemExit(f"{path.name}: expected an empty Context field in the first row")
        month_dir = out / path.parent.name
        month_dir.mkdir(parents=True, exist_ok=True)
        stem = path.name[: -len(STREET_SUFFIX)]
        for k in range(copies):
            marked = data[:header_end] + first_row + f"copy{k}".encode() + data[row_end:]
            (month_dir / f"{stem}-copy{k}{STREET_SUFFIX}").write_bytes(marked)
    shutil.rmtree(originals)
    return rows_once * copies


def run_ours(folder: Path) -> dict[str, float]:
    import duckdb  # noqa: F401  (imported before the clock, as pandas is for the baseline)
    import pandas  # noqa: F401

    from cdrp_lib.ingest import ingest

    params = folder / "params"
    params.mkdir(exist_ok=True)
    shutil.copy(REPO / "params" / "measures.yaml", params / "measures.yaml")
    store = folder / "bench-store.duckdb"
    cpu, start = _cpu_seconds(), time.perf_counter()
    report = ingest([folder / "input"], store=store, params_dir=params)
    seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    rows = sum(s.rows for s in report.street)
    store.unlink()
    return {"rows": rows, "kept": sum(s.kept for s in report.street), "seconds": seconds,
            "cpu": cpu, "peak_mb": _peak_mb()}


def run_baseline(folder: Path) -> dict[str, float]:
    import pandas as pd

    files = sorted((folder / "input").rglob(f"*{STREET_SUFFIX}"))
    cpu, start = _cpu_seconds(), time.perf_counter()
    frames = []
    for path in files:
        frame = pd.read_csv(path)
        frame["force"] = path.name[8: -len(STREET_SUFFIX)]
        frames.append(frame)
    data = pd.concat(frames, ignore_index=True)
    counts = data.groupby(["force", "Month", "LSOA code", "LSOA name", "Crime type"],
                          dropna=False).size()
    seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    return {"rows": len(data), "groups": len(counts), "seconds": seconds, "cpu": cpu,
            "peak_mb": _peak_mb()}


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def run_floor(folder: Path) -> dict[str, float]:
    """The irreducible parts of an ingest, timed one after another (see the module doc)."""
    import duckdb

    from cdrp_lib.sources.police_uk.sql import _read_csv_sql  # the reader ingest uses

    files = sorted((folder / "input").rglob(f"*{STREET_SUFFIX}"))
    cores = os.cpu_count() or 1
    figures: dict[str, float] = {"cores": cores}
    cpu, start = _cpu_seconds(), time.perf_counter()
    with ThreadPoolExecutor(max_workers=cores) as pool:
        list(pool.map(_sha256, files))
    figures["hash_seconds"], figures["hash_cpu"] = time.perf_counter() - start, _cpu_seconds() - cpu

    store = folder / "floor.duckdb"
    con = duckdb.connect(str(store))
    con.execute("CREATE TABLE counts (f INTEGER, month VARCHAR, lsoa_code VARCHAR, "
                "lsoa_name VARCHAR, crime_type VARCHAR, n BIGINT)")
    cpu, start = _cpu_seconds(), time.perf_counter()
    con.execute(
        "CREATE TEMP TABLE groups AS SELECT CAST(file_index AS INTEGER) AS f, \"Month\" AS month, "
        "\"LSOA code\" AS lsoa_code, \"LSOA name\" AS lsoa_name, \"Crime type\" AS crime_type, "
        "hash(\"Crime ID\") AS h, count(*) AS n, grouping(h) = 1 AS counted "
        f"FROM {_read_csv_sql('files')} "
        "GROUP BY GROUPING SETS ((f, month, lsoa_code, lsoa_name, crime_type), (f, h)) "
        "HAVING grouping(h) = 1 OR (h IS NOT NULL AND count(*) > 1)",
        {"files": [str(f) for f in files]})
    figures["scan_seconds"], figures["scan_cpu"] = time.perf_counter() - start, _cpu_seconds() - cpu
    cpu, start = _cpu_seconds(), time.perf_counter()
    con.execute("BEGIN TRANSACTION")
    con.execute("INSERT INTO counts SELECT f, month, lsoa_code, lsoa_name, crime_type, n "
                "FROM groups WHERE counted")
    con.execute("COMMIT")
    figures["write_seconds"], figures["write_cpu"] = (time.perf_counter() - start,
                                                      _cpu_seconds() - cpu)
    row = con.execute("SELECT count(*) FROM counts").fetchone()
    figures["groups"] = int(row[0]) if row else 0
    con.close()
    store.unlink()
    return figures


def prepare_months(folder: Path, months: int) -> tuple[str, int]:
    """The national month under ``new/``, and rewritten as each of the ``months`` months
    before it under ``history/``; returns the month and the rows of one month."""
    source = folder / "month-source"
    with zipfile.ZipFile(SOURCE_ZIP) as archive:
        archive.extractall(source)
    files = sorted(source.rglob(f"*{STREET_SUFFIX}"))
    month = files[0].name[:7]
    year, mon = int(month[:4]), int(month[5:])
    rows = 0
    for path in files:
        data = path.read_bytes()
        rows += data.count(b"\n") - 1
        tail = path.name[len(month):]
        target = folder / "new" / month / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        for back in range(1, months + 1):
            y, m = divmod(year * 12 + mon - 1 - back, 12)
            other = f"{y:04d}-{m + 1:02d}"
            moved = data.replace(f",{month},".encode(), f",{other},".encode())
            target = folder / "history" / other / f"{other}{tail}"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(moved)
    shutil.rmtree(source)
    return month, rows


def _bench_params(folder: Path) -> Path:
    params = folder / "params"
    params.mkdir(exist_ok=True)
    shutil.copy(REPO / "params" / "measures.yaml", params / "measures.yaml")
    return params


def run_history(folder: Path) -> dict[str, float]:
    """Ingest the rewritten months into ``history.duckdb`` (set-up, timed only for the log)."""
    from cdrp_lib.ingest import ingest

    start = time.perf_counter()
    ingest([folder / "history"], store=folder / "history.duckdb",
           params_dir=_bench_params(folder))
    return {"seconds": time.perf_counter() - start}


def run_month(folder: Path, into_history: bool) -> dict[str, float]:
    """Ingest the national month into a copy of the history store, or into an empty store."""
    import duckdb  # noqa: F401  (imported before the clock)
    import pandas  # noqa: F401

    from cdrp_lib.ingest import ingest

    params = _bench_params(folder)
    store = folder / "month.duckdb"
    store.unlink(missing_ok=True)
    if into_history:
        shutil.copy(folder / "history.duckdb", store)
    cpu, start = _cpu_seconds(), time.perf_counter()
    report = ingest([folder / "new"], store=store, params_dir=params)
    seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    store.unlink()
    return {"seconds": seconds, "cpu": cpu, "rows": sum(s.rows for s in report.street),
            "peak_mb": _peak_mb()}


def append_measurement(folder: Path, months: int, repeat: int) -> float:
    """Print the month's ingest into a full and an empty store; return the time ratio."""
    month, rows = prepare_months(folder, months)
    os.sync()
    history = _in_subprocess("history", folder)
    print(f"append: {month} ({rows:,} rows) rewritten as the {months} months before it, "
          f"ingested as history in {history['seconds']:.1f} s", flush=True)
    runs: dict[str, list[dict[str, float]]] = {"append": [], "empty": []}
    for _ in range(repeat):
        for which in runs:
            runs[which].append(_in_subprocess(which, folder))
    append = min(runs["append"], key=lambda r: r["seconds"])
    empty = min(runs["empty"], key=lambda r: r["seconds"])
    ratio = append["seconds"] / empty["seconds"]
    print(f"append: into the {months}-month store {append['seconds']:.2f} s "
          f"({append['cpu']:.2f} CPU s, peak {append['peak_mb']:,.0f} MB); into an empty store "
          f"{empty['seconds']:.2f} s ({empty['cpu']:.2f} CPU s, peak {empty['peak_mb']:,.0f} "
          f"MB); ratio {ratio:.2f} (goal <= {GOAL_APPEND_RATIO:g}), CPU-time ratio "
          f"{append['cpu'] / empty['cpu']:.2f}")
    return ratio


def _in_subprocess(which: str, folder: Path) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, __file__, "--run", which, str(folder)],
                          capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{which} run failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _floor_cpu(floor: dict[str, float]) -> float:
    return floor["hash_cpu"] + floor["scan_cpu"] + floor["write_cpu"]


def _print_floor(floor: dict[str, float], baseline_seconds: float, speedup: float) -> None:
    """What the irreducible parts cost, the speedup they leave room for, and ours' share."""
    cores = int(floor["cores"])
    cpu = _floor_cpu(floor)
    cpu_no_hash = floor["scan_cpu"] + floor["write_cpu"]
    print(f"floor: sha256 of every file {floor['hash_seconds']:.2f} s "
          f"({floor['hash_cpu']:.2f} CPU s); "
          f"DuckDB scan grouping 5 columns and finding repeated Crime IDs "
          f"{floor['scan_seconds']:.2f} s ({floor['scan_cpu']:.2f} CPU s); writing its "
          f"{int(floor['groups']):,} counts {floor['write_seconds']:.2f} s "
          f"({floor['write_cpu']:.2f} CPU s)")
    print(f"floor: {cpu:.2f} CPU s on {cores} cores is at least {cpu / cores:.2f} s, so at most "
          f"{baseline_seconds * cores / cpu:.2f}x the baseline before any validation report, "
          f"second pass, series rebuild or commit (without the hash: at most "
          f"{baseline_seconds * cores / cpu_no_hash:.2f}x)")
    print(f"floor: ours reaches {speedup / (baseline_seconds * cores / cpu):.0%} of that "
          "ceiling (issue 2: 3.0x of 4.9-5.0x, 61%)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=TARGET_ROWS, help="at least this many rows")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each; the fastest of each is compared")
    parser.add_argument("--months", type=int, default=HISTORY_MONTHS,
                        help="months in the store the national month is appended to "
                             "(default %(default)s)")
    parser.add_argument("--run", choices=["ours", "baseline", "floor", "history", "append",
                                          "empty"], help=argparse.SUPPRESS)
    parser.add_argument("folder", nargs="?", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        runners: dict[str, Callable[[Path], dict[str, float]]] = {
            "ours": run_ours, "baseline": run_baseline, "floor": run_floor,
            "history": run_history, "append": lambda f: run_month(f, True),
            "empty": lambda f: run_month(f, False)}
        result = runners[args.run](args.folder)
        print(json.dumps(result))
        return 0
    if not SOURCE_ZIP.exists():
        print(f"benchmark skipped: {SOURCE_ZIP} not found (clone shared/ beside the repo)")
        return 1
    with tempfile.TemporaryDirectory(prefix="cdrp-bench-") as tmp:
        folder = Path(tmp)
        rows = prepare(folder, args.rows)
        os.sync()
        print(f"input: {rows:,} rows ({SOURCE_ZIP.name} repeated as distinct forces); "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        runs: dict[str, list[dict[str, float]]] = {"ours": [], "baseline": [], "floor": []}
        for _ in range(args.repeat):
            for which in runs:
                runs[which].append(_in_subprocess(which, folder))
        ours = min(runs["ours"], key=lambda r: r["seconds"])
        base = min(runs["baseline"], key=lambda r: r["seconds"])
        floor = min(runs["floor"], key=_floor_cpu)
    with tempfile.TemporaryDirectory(prefix="cdrp-bench-append-") as tmp:
        append_ratio = append_measurement(Path(tmp), args.months, args.repeat)
    if ours["rows"] != base["rows"]:
        raise SystemExit(f"row counts differ: ours {ours['rows']:,}, baseline {base['rows']:,}")
    speedup = base["seconds"] / ours["seconds"]
    memory_ratio = ours["peak_mb"] / base["peak_mb"]
    print(f"ours:     {ours['seconds']:.2f} s, {ours['rows'] / ours['seconds']:,.0f} rows/s, "
          f"{ours['cpu']:.2f} CPU s, peak {ours['peak_mb']:,.0f} MB "
          f"({int(ours['kept']):,} rows kept after validation and deduplication)")
    print(f"baseline: {base['seconds']:.2f} s, {base['rows'] / base['seconds']:,.0f} rows/s, "
          f"{base['cpu']:.2f} CPU s, peak {base['peak_mb']:,.0f} MB "
          "(pandas read_csv + concat + groupby, no validation)")
    print(f"speedup {speedup:.2f} (goal >= {GOAL_SPEEDUP}), memory ratio {memory_ratio:.2f} "
          f"(goal <= {GOAL_MEMORY_RATIO}); CPU-time ratio {base['cpu'] / ours['cpu']:.2f}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    _print_floor(floor, base["seconds"], speedup)
    print(f"RESULT_APPEND months={args.months} append_ratio={append_ratio:.2f}")
    print(f"RESULT rows={int(ours['rows'])} speedup={speedup:.2f} memory_ratio={memory_ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
