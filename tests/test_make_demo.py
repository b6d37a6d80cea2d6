"""The README's main job, `make demo`, runs its batch on the project's own params.

The session's demo fixture prunes params to the demo county, so every other test would
pass while `make demo` failed on a partnership the demo has no data for (a seed plan or
the Kettering replica named on its command line). This test takes the Makefile's own
`cdrp run` line and runs it, front pages only, on a store ingested with the whole of
params/.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import DEMO_MONTH, PROJECT, Demo

from cdrp_lib.cli import main
from cdrp_lib.params import load_partnerships

pytestmark = pytest.mark.slow


def makefile_run_line() -> list[str]:
    """The demo target's `cdrp run` command, as `make -n` prints it (arguments only)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed (apt install make)")
    out = subprocess.run(["make", "-n", "demo"], cwd=PROJECT, capture_output=True, text=True,
                         check=True).stdout
    lines = [shlex.split(line) for line in out.splitlines() if " run " in f" {line} "]
    assert len(lines) == 1, out
    words = lines[0]
    return words[words.index("run"):]


def test_the_demo_batch_runs_every_demo_partnership_with_the_whole_of_params(
        demo: Demo, tmp_path: Path) -> None:
    params = PROJECT / "params"
    store = tmp_path / "store.duckdb"
    assert main(["ingest", str(demo.root / "raw"), "--store", str(store),
                 "--params", str(params)]) == 0
    args = makefile_run_line()
    args[args.index("--store") + 1] = str(store)
    code = main([*args, "--params", str(params), "--outputs", str(tmp_path / "outputs"),
                 "--themes", "summary", "--workers", "1", "--produced-on", "2026-01-15"])
    assert code == 0
    made = sorted(p.name for p in (tmp_path / "outputs" / "site").iterdir()
                  if (p / DEMO_MONTH / "bulletin.json").is_file())
    synthetic_county = sorted(
        pid for pid, p in load_partnerships(params).items()
        if p.synthetic and (demo.params / "partnerships" / f"{pid}.yaml").is_file())
    assert made == synthetic_county and len(made) == 7
    for pid in made:
        record = json.loads((tmp_path / "outputs" / "site" / pid / DEMO_MONTH / "bulletin.json")
                            .read_text(encoding="utf-8"))
        assert record["month"] == DEMO_MONTH
