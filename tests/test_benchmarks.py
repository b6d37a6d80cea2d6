"""The benchmarks still run and still print what their notes quote.

Nothing here is timed: a smoke run on one copy of the real national month proves the
benchmark's three subprocesses agree on the rows and that its figures, including the
floor that bounds any ingest, come out in the documented form.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCE_ZIP = REPO.parent / "shared" / "data" / "police-uk" / "all-forces-2019-01.zip"


def test_ingest_benchmark_prints_result_and_floor() -> None:
    if not SOURCE_ZIP.exists():
        pytest.skip(f"{SOURCE_ZIP} is absent: clone the shared data beside the repository")
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "ingest.py"), "--rows", "1",
                           "--months", "2"],
                          capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    result = re.fullmatch(r"RESULT rows=(\d+) speedup=(\d+\.\d+) memory_ratio=(\d+\.\d+)",
                          lines[-1])
    append = re.fullmatch(r"RESULT_APPEND months=2 append_ratio=(\d+\.\d+)", lines[-2])
    assert append and float(append.group(1)) > 0, lines[-2]
    # the month was ingested into the 2-month store and into an empty one, every row each time
    assert re.search(r"append: into the 2-month store [\d.]+ s .* into an empty store [\d.]+ s",
                     done.stdout)
    assert result, lines[-1]
    assert int(result.group(1)) == _data_rows(SOURCE_ZIP)  # every row of the month, once
    floor = [line for line in lines if line.startswith("floor: ")]
    assert len(floor) == 3, done.stdout
    assert re.search(r"writing its [\d,]+ counts", floor[0])
    bound = re.search(r"at most (\d+\.\d+)x the baseline", floor[1])
    assert bound and float(bound.group(1)) > 0
    share = re.search(r"ours reaches (\d+)% of that ceiling", floor[2])
    assert share, floor[2]
    # the share is the speedup over the ceiling, both as printed
    assert abs(int(share.group(1)) - 100 * float(result.group(2)) / float(bound.group(1))) <= 1


def _data_rows(archive: Path) -> int:
    """Lines after the header in every street file of ``archive`` (none has a quoted newline)."""
    with zipfile.ZipFile(archive) as z:
        return sum(z.read(name).count(b"\n") - 1 for name in z.namelist()
                   if name.endswith("-street.csv"))


def test_national_benchmark_samples_the_memory_of_its_whole_process_tree() -> None:
    """The peak counts a child's memory, not only the benchmark's own process."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import national
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    own = national._tree_memory()[1] / 2**30
    sampler = national.PeakSampler()
    child = subprocess.Popen([sys.executable, "-c", "import time; b = bytearray(400 * 2**20); "
                              "b[::4096] = b'x' * len(b[::4096]); time.sleep(3)"])
    child.wait(timeout=60)
    pss, rss = sampler.stop()
    assert rss >= own + 0.35  # the child's 400 MB were seen
    assert 0 < pss <= rss


def test_national_benchmark_has_a_quick_option() -> None:
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "national.py"), "--help"],
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0
    assert "--partnerships" in done.stdout and "RESULT" not in done.stdout
