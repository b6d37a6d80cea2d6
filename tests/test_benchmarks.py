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
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "ingest.py"), "--rows", "1"],
                          capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    result = re.fullmatch(r"RESULT rows=(\d+) speedup=(\d+\.\d+) memory_ratio=(\d+\.\d+)",
                          lines[-1])
    assert result, lines[-1]
    assert int(result.group(1)) == _data_rows(SOURCE_ZIP)  # every row of the month, once
    floor = [line for line in lines if line.startswith("floor: ")]
    assert len(floor) == 2, done.stdout
    assert re.search(r"writing its [\d,]+ counts", floor[0])
    bound = re.search(r"at most (\d+\.\d+)x the baseline", floor[1])
    assert bound and float(bound.group(1)) > 0


def _data_rows(archive: Path) -> int:
    """Lines after the header in every street file of ``archive`` (none has a quoted newline)."""
    with zipfile.ZipFile(archive) as z:
        return sum(z.read(name).count(b"\n") - 1 for name in z.namelist()
                   if name.endswith("-street.csv"))
