"""The zygote parses the project's params once, so its kernels find them parsed (issue 13).

Run in a fresh interpreter: warming freezes the garbage collector's view of the
process, as the zygote does, which this test process must not inherit.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

PROBE = """
import sys
from pathlib import Path
from cdrp_lib.assess import partnership
from cdrp_lib.batch.kernels import warm_kernels

project = sys.argv[1]
warm_kernels(project)
warm_kernels(project)  # once per folder
before = partnership._load_params.cache_info()
partnership.cached_params(Path(project) / "params")  # what a kernel forked now asks
after = partnership._load_params.cache_info()
print(after.hits - before.hits, after.misses - before.misses, before.misses)
"""


def _probe(project: Path) -> tuple[int, int, int]:
    out = subprocess.run([sys.executable, "-c", PROBE, str(project)], check=True,
                         capture_output=True, text=True, cwd=REPO).stdout.split()
    hits, misses, warmed = map(int, out)
    return hits, misses, warmed


def test_a_kernel_forked_after_warming_finds_the_params_parsed(tmp_path: Path) -> None:
    shutil.copytree(REPO / "params", tmp_path / "params")
    assert _probe(tmp_path) == (1, 0, 1)  # parsed once by the warming, then found


def test_params_edited_since_are_parsed_again(tmp_path: Path) -> None:
    """The cache is keyed on every file's size and time: warming never serves stale params."""
    shutil.copytree(REPO / "params", tmp_path / "params")
    measures = tmp_path / "params" / "measures.yaml"
    stat = measures.stat()
    probe = PROBE.replace('partnership.cached_params(Path(project) / "params")',
                          f'os.utime({str(measures)!r}, ns=({stat.st_atime_ns}, '
                          f'{stat.st_mtime_ns + 10**9}))\n'
                          'partnership.cached_params(Path(project) / "params")')
    out = subprocess.run([sys.executable, "-c", "import os\n" + probe, str(tmp_path)],
                         check=True, capture_output=True, text=True, cwd=REPO).stdout.split()
    assert list(map(int, out)) == [0, 1, 1]


def test_a_folder_without_params_is_left_alone(tmp_path: Path) -> None:
    """A batch reading params from elsewhere: nothing is parsed, nothing fails."""
    probe = ("import sys\nfrom cdrp_lib.assess import partnership\n"
             "from cdrp_lib.batch.kernels import warm_kernels\n"
             "warm_kernels(sys.argv[1])\nprint(partnership._load_params.cache_info().misses)")
    out = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], check=True,
                         capture_output=True, text=True, cwd=REPO).stdout
    assert out.split() == ["0"]


def test_the_first_warming_also_makes_the_charts_templates_once(tmp_path: Path) -> None:
    """What every kernel's first charts would make is made in the zygote, once."""
    probe = ("import sys\nfrom cdrp_lib.charts import svg\n"
             "from cdrp_lib.batch.kernels import warm_kernels\n"
             "print(len(svg._TEMPLATES))\n"
             "warm_kernels(sys.argv[1])\nmade = len(svg._TEMPLATES)\nprint(made)\n"
             "svg._TEMPLATES.clear()\nwarm_kernels(sys.argv[1] + '/other')\n"
             "print(len(svg._TEMPLATES))")
    out = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], check=True,
                         capture_output=True, text=True, cwd=REPO).stdout.split()
    before, made, again = map(int, out)
    assert before == 0 and made > 1 and again == 0
