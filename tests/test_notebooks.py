"""The theme notebooks: committed clean and thin, and each runs top to bottom on the demo.

The notebooks' parameters cell honours two environment variables, CDRP_STORE
and CDRP_OUTPUT_DIR, so nbval can run them on the session's demo store and
write into a temporary folder instead of the project's outputs/.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Demo

PROJECT = Path(__file__).resolve().parents[1]
NOTEBOOKS = PROJECT / "notebooks"
THEMES = ("summary", "violence", "acquisitive_crime", "asb", "domestic_abuse", "perception")
PARAMETERS = ("partnership", "month", "store", "params_dir", "output_dir", "produced_on")
DEFAULTS = {"partnership": "ashcombe", "month": "2025-12", "store": "outputs/store.duckdb",
            "params_dir": "params", "output_dir": "outputs/scratch", "produced_on": ""}
NBVAL_TIMEOUT_S = 900


def _notebook(theme: str) -> dict[str, Any]:
    return dict(json.loads((NOTEBOOKS / f"{theme}.ipynb").read_text(encoding="utf-8")))


def _source(cell: dict[str, Any]) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def test_there_is_one_notebook_per_page() -> None:
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(THEMES)


@pytest.mark.parametrize("theme", THEMES)
def test_committed_without_outputs_or_execution_counts(theme: str) -> None:
    nb = _notebook(theme)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{theme}.ipynb: a cell has outputs"
            assert cell["execution_count"] is None, f"{theme}.ipynb: a cell has a count"
        assert set(cell["metadata"]) <= {"tags"}, f"{theme}.ipynb: cell metadata {cell['metadata']}"
    assert set(nb["metadata"]) <= {"kernelspec", "language_info"}
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("theme", THEMES)
def test_exactly_one_parameters_cell_with_the_contract_and_demo_defaults(theme: str) -> None:
    cells = _notebook(theme)["cells"]
    tagged = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1
    assert cells.index(tagged[0]) == 0, "the parameters cell comes first"
    tree = ast.parse(_source(tagged[0]))
    assigned = {t.id: node.value for node in tree.body if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)}
    assert tuple(assigned) == PARAMETERS
    for name, value in assigned.items():
        if isinstance(value, ast.Constant):
            assert value.value == DEFAULTS[name], name
        else:  # os.environ.get("CDRP_...", default): the default is the demo's
            assert isinstance(value, ast.Call) and ast.unparse(value.func) == "os.environ.get"
            env, default = (a.value for a in value.args if isinstance(a, ast.Constant))
            assert env == f"CDRP_{name.upper()}" and default == DEFAULTS[name], name


@pytest.mark.parametrize("theme", THEMES)
def test_no_logic_beyond_calling_pages_and_displaying(theme: str) -> None:
    code = [c for c in _notebook(theme)["cells"] if c["cell_type"] == "code"][1:]
    assert [c["cell_type"] for c in _notebook(theme)["cells"]] == ["code"] * 3
    call, show = (ast.parse(_source(c)) for c in code)
    imported, assigned = call.body
    assert ast.unparse(imported) == "from cdrp_lib import pages"
    assert isinstance(assigned, ast.Assign) and isinstance(assigned.value, ast.Call)
    expected = "pages.summary_page" if theme == "summary" else "pages.theme_page"
    assert ast.unparse(assigned.value.func) == expected
    if theme != "summary":
        assert f"'{theme}'" in ast.unparse(assigned.value)
    assert ast.unparse(show) == "page"


@pytest.mark.slow
def test_every_notebook_runs_with_its_defaults_on_the_demo(demo: Demo, tmp_path: Path) -> None:
    """nbval (lax: outputs are not compared) executes each notebook top to bottom."""
    env = {**os.environ, "CDRP_STORE": str(demo.store), "CDRP_OUTPUT_DIR": str(tmp_path / "out")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
         "--rootdir", str(PROJECT), *(str(NOTEBOOKS / f"{t}.ipynb") for t in THEMES)],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=NBVAL_TIMEOUT_S,
        check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "passed" in done.stdout
    for theme in THEMES:
        assert (tmp_path / "out" / f"{theme}.figures.json").is_file(), theme
