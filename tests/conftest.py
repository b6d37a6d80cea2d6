"""Session fixtures shared by several test modules.

The demo fixtures build the SYNTHETIC demo county once per test session: the
notebook, page, end-to-end and accessibility tests all read the same store, and
the batch (real Papermill, two workers) runs once for the end-to-end and
accessibility tests together, because it is the slowest thing the suite does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
DEMO_MONTH = "2025-12"
DEMO_PARTNERSHIPS = 6
DEMO_PRODUCED_ON = "2026-01-15"
#: A demo partnership renamed in the test params so that every page proves it escapes names.
HOSTILE_PARTNERSHIP = "greyhaven"
HOSTILE_NAME = "<script>alert(1)</script> & Greyhaven"
#: Real partnerships in params/ that have no demo data; left out of the batch's params
#: to keep the session short (tests/test_pages.py covers a partnership with no data).
NOT_IN_DEMO = ("ashford", "corby", "kettering", "kettering-2009", "kettering-2009-town-centre",
               "south-derbyshire")
BATCH_TIMEOUT_S = 1800
#: A child process that takes a cdrp lock, says so on stdout, and holds it until stdin closes.
HOLD_LOCK = """
import sys
from pathlib import Path
from cdrp_lib.locking import exclusive
with exclusive(Path(sys.argv[1]), what="the folder/", activity=sys.argv[2], hint="wait"):
    print("locked", flush=True)
    sys.stdin.read()
"""


@dataclass(frozen=True)
class Demo:
    """The ingested demo: its store, the params it was ingested with, and a scratch folder."""

    root: Path
    store: Path
    params: Path


@dataclass(frozen=True)
class DemoSite:
    """The outcome of ``cdrp run --all`` on the demo."""

    demo: Demo
    outputs: Path
    returncode: int
    stdout: str
    stderr: str

    @property
    def site(self) -> Path:
        return self.outputs / "site"


def _demo_params(dest: Path) -> Path:
    """params/ without the partnerships the demo has no data for, one name made hostile."""
    shutil.copytree(PROJECT / "params", dest)
    for pid in NOT_IN_DEMO:
        (dest / "partnerships" / f"{pid}.yaml").unlink(missing_ok=True)
    path = dest / "partnerships" / f"{HOSTILE_PARTNERSHIP}.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    renamed = [f"name: '{HOSTILE_NAME}'\n" if line.startswith("name:") else line
               for line in lines]
    assert renamed != lines, f"no `name:` line in {path}"
    path.write_text("".join(renamed), encoding="utf-8")
    return dest


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The SYNTHETIC demo county (6 partnerships, 60 months to 2025-12) in a fresh store."""
    from cdrp_lib.demo import write_demo
    from cdrp_lib.ingest import ingest

    root = tmp_path_factory.mktemp("demo")
    params = _demo_params(root / "params")
    write_demo(root / "raw", partnerships=DEMO_PARTNERSHIPS, last_month=DEMO_MONTH)
    store = root / "store.duckdb"
    ingest([root / "raw"], store, params_dir=params)
    return Demo(root, store, params)


@pytest.fixture(scope="session")
def demo_site(demo: Demo) -> DemoSite:
    """``cdrp run --all --month 2025-12 --workers 2`` on the demo, in a subprocess."""
    outputs = demo.root / "outputs"
    command = [sys.executable, "-m", "cdrp_lib", "run", "--all", "--month", DEMO_MONTH,
               "--workers", "2", "--store", str(demo.store), "--params", str(demo.params),
               "--outputs", str(outputs), "--produced-on", DEMO_PRODUCED_ON]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDRP_")}
    done = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, env=env,
                          timeout=BATCH_TIMEOUT_S, check=False)
    return DemoSite(demo, outputs, done.returncode, done.stdout, done.stderr)


@pytest.fixture()
def hold_lock() -> Iterator[Callable[[Path, str], subprocess.Popen[str]]]:
    """``hold_lock(lock_file, activity)``: a child process holding that lock until the test ends.

    It returns once the child has said ``locked`` (the holder is recorded by
    then), so no sleep is needed; the child is SIGKILLed when the test ends.
    """
    children: list[subprocess.Popen[str]] = []

    def hold(lock_file: Path, activity: str) -> subprocess.Popen[str]:
        child = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(lock_file), activity],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        children.append(child)
        assert child.stdout is not None
        said = child.stdout.readline()
        if said != "locked\n":
            pytest.fail(f"the lock-holding child said {said!r}, not 'locked' (see its stderr)")
        return child

    yield hold
    for child in children:
        child.kill()
        child.communicate()
