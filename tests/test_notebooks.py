"""The notebooks: documents that call only the public API, committed clean, and each runs
in JupyterLab's way (working folder notebooks/, default parameters) to the page of its snapshot.

The notebooks' parameters cell honours two environment variables, CDRP_STORE
and CDRP_OUTPUT_DIR, so the tests run them on the session's demo store and
write into a temporary folder instead of the project's outputs/.

Snapshots (tests/snapshots/pages/<page>.txt) hold the structure of each
published page: headings, the parts in order, every alt text, table caption and
CSV.  They change only when the page does; to accept a change on purpose, run
``CDRP_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_notebooks.py`` and review the diff.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nbformat
import pytest
from conftest import DEMO_MONTH, Demo

import cdrp_lib

PROJECT = Path(__file__).resolve().parents[1]
NOTEBOOKS = PROJECT / "notebooks"
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "pages"
#: Every notebook: the pages' own, and the generic theme notebook (``theme``), which serves
#: any theme without a notebook of its own and shows the violence page by default.
THEMES = ("summary", "violence", "acquisitive_crime", "asb", "domestic_abuse", "perception",
          "theme")
GENERIC = "theme"
#: The page a notebook makes by default (its figures file's name).
PAGE_OF = {GENERIC: "violence"}
PARAMETERS = ("partnership", "month", "store", "params_dir", "output_dir", "produced_on")
DEFAULTS = {"partnership": "ashcombe", "month": "2025-12", "store": "outputs/store.duckdb",
            "params_dir": "params", "output_dir": "outputs/scratch", "produced_on": "",
            "theme": "violence"}
#: The names a notebook may call on: the public API's objects, as the notebooks name them.
API_OBJECTS = {"bulletin", "page", "target"}
NBVAL_TIMEOUT_S = 900
PRODUCED_ON = "2026-01-15"


def _notebook(theme: str, folder: Path = NOTEBOOKS) -> dict[str, Any]:
    return dict(json.loads((folder / f"{theme}.ipynb").read_text(encoding="utf-8")))


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
    cells = [c for c in _notebook(theme)["cells"] if c["cell_type"] == "code"]
    tagged = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1
    assert cells.index(tagged[0]) == 0, "the parameters cell is the first code cell"
    tree = ast.parse(_source(tagged[0]))
    assigned = {t.id: node.value for node in tree.body if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)}
    assert tuple(assigned) == PARAMETERS + (("theme",) if theme == GENERIC else ())
    for name, value in assigned.items():
        if isinstance(value, ast.Constant):
            assert value.value == DEFAULTS[name], name
        else:  # os.environ.get("CDRP_...", default): the default is the demo's
            assert isinstance(value, ast.Call) and ast.unparse(value.func) == "os.environ.get"
            env, default = (a.value for a in value.args if isinstance(a, ast.Constant))
            assert env == f"CDRP_{name.upper()}" and default == DEFAULTS[name], name


# ----------------------------------------------------------------------------- the contract


def api_violations(source: str) -> list[str]:
    """What in a (non-parameters) code cell goes beyond composing the public API.

    Allowed: ``import cdrp_lib as cdrp``; calls of ``cdrp.<public name>``, of
    ``display`` and of public methods of the API's objects (``bulletin``, ``page``,
    ``target``); assigning their results to names; a ``for`` loop over them.
    Not allowed: any other import (pandas, duckdb...), SQL, arithmetic,
    comparisons, indexing, private names, lambdas: logic belongs in cdrp_lib.
    """
    out: list[str] = []
    names = set(API_OBJECTS)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            if [(a.name, a.asname) for a in node.names] != [("cdrp_lib", "cdrp")]:
                out.append(f"import {ast.unparse(node)[7:]}")
        elif isinstance(node, ast.ImportFrom):
            out.append(f"from-import {ast.unparse(node)}")
        elif isinstance(node, (ast.BinOp, ast.AugAssign, ast.Compare, ast.BoolOp,
                               ast.UnaryOp, ast.Subscript, ast.Lambda, ast.ListComp,
                               ast.DictComp, ast.SetComp, ast.GeneratorExp, ast.IfExp)):
            out.append(f"{type(node).__name__}: {ast.unparse(node)}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and "select " in node.value.lower():
            out.append(f"SQL: {node.value!r}")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            out.append(f"private name: {ast.unparse(node)}")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "display":
                continue
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                owner = func.value.id
                if owner == "cdrp" and func.attr in cdrp_lib.__all__:
                    continue
                if owner in names and not func.attr.startswith("_"):
                    continue
            out.append(f"call: {ast.unparse(func)}")
    return out


@pytest.mark.parametrize("theme", THEMES)
def test_notebooks_call_only_the_public_api(theme: str) -> None:
    code = [c for c in _notebook(theme)["cells"] if c["cell_type"] == "code"
            and "parameters" not in c["metadata"].get("tags", [])]
    assert code, f"{theme}.ipynb has no cells beyond its parameters"
    for cell in code:
        assert api_violations(_source(cell)) == [], _source(cell)
        assert len(_source(cell).splitlines()) <= 6, f"a long cell: {_source(cell)}"


@pytest.mark.parametrize("cell", [
    "import duckdb",
    "from cdrp_lib.assess import assess",
    "page.frame().rolling_12.sum() + 1",
    'bulletin.config.measures["burglary"]',
    "store.con.execute('SELECT * FROM series')",
    "page._parts",
    "[p for p in page.parts()]",
])
def test_the_contract_catches_logic_in_a_notebook(cell: str) -> None:
    assert api_violations(cell), f"{cell!r} was let through"


@pytest.mark.parametrize("theme", THEMES)
def test_markdown_carries_the_structure_and_the_analysts_notes_are_not_published(
        theme: str) -> None:
    cells = _notebook(theme)["cells"]
    markdown = [c for c in cells if c["cell_type"] == "markdown"]
    published = [c for c in markdown if "remove-cell" not in c["metadata"].get("tags", [])]
    assert published, f"{theme}.ipynb: no published Markdown"
    assert any(_source(c).startswith("## ") for c in published)
    first = cells[0]
    assert first["cell_type"] == "markdown" and "remove-cell" in first["metadata"]["tags"], \
        "the notebook opens with a note for the analyst, not published"
    frame = [c for c in cells if _source(c).strip() == "page.frame()"]
    assert frame and "remove-cell" in frame[0]["metadata"]["tags"]


# ----------------------------------------------------------------------------- execution


def _env(demo: Demo, out: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CDRP_BATCH_WORKER_PID"}
    return {**env, "CDRP_STORE": str(demo.store), "CDRP_OUTPUT_DIR": str(out)}


def execute_as_jupyterlab(demo: Demo, notebook: Path, out: Path,
                          parameters: dict[str, str] | None = None) -> Path:
    """Run a notebook as JupyterLab's "Run All" does: a plain kernel, working folder
    notebooks/, its own defaults (store and output folder from the environment)."""
    import papermill

    executed = out / notebook.name
    old = dict(os.environ)
    os.environ.update(_env(demo, out))
    try:
        papermill.execute_notebook(str(notebook), str(executed),
                                   parameters={"produced_on": PRODUCED_ON, **(parameters or {})},
                                   cwd=str(NOTEBOOKS), progress_bar=False, kernel_name="python3")
    finally:
        os.environ.clear()
        os.environ.update(old)
    return executed


class Structure(HTMLParser):
    """A page's structure: headings, alt texts, table captions and CSV links, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._text: list[str] | None = None
        self._tag = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag in ("h1", "h2", "h3", "caption"):
            self._tag, self._text = tag, []
        elif tag == "img":
            self.lines.append(f"img: {values.get('alt', '(no alt)')}")
        elif tag == "svg" and values.get("role") == "img":  # a chart, inline and vector
            self.lines.append(f"img: {values.get('aria-label', '(no alt)')}")
        elif tag == "a" and values.get("href", "").startswith("data/"):
            self.lines.append(f"csv: {values['href']}")
        elif tag == "aside":
            self.lines.append(f"aside: {values.get('class', '')}")
        elif tag == "p" and values.get("class") in ("rating", "headline", "synthetic-banner"):
            self.lines.append(f"p.{values['class']}")

    def handle_endtag(self, tag: str) -> None:
        if self._text is not None and tag == self._tag:
            text = " ".join("".join(self._text).split())
            self.lines.append(f"{tag}: {text}")
            self._text = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)


def structure(html: str) -> str:
    parser = Structure()
    parser.feed(html)
    return "\n".join(parser.lines) + "\n"


def render(executed: Path) -> str:
    from cdrp_lib.render import render_page

    return render_page(executed, executed.with_suffix(".html"), title=executed.stem
                       ).path.read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("theme", THEMES)
def test_each_notebook_renders_the_page_of_its_snapshot(demo: Demo, tmp_path: Path,
                                                         theme: str) -> None:
    html = render(execute_as_jupyterlab(demo, NOTEBOOKS / f"{theme}.ipynb", tmp_path))
    got = structure(html)
    snapshot = SNAPSHOTS / f"{theme}.txt"
    if os.environ.get("CDRP_UPDATE_SNAPSHOTS"):
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_text(got, encoding="utf-8")
    assert snapshot.is_file(), f"no snapshot {snapshot}: run with CDRP_UPDATE_SNAPSHOTS=1"
    assert got == snapshot.read_text(encoding="utf-8")
    assert got.count("h1: ") == 1 and "img: (no alt)" not in got
    assert (tmp_path / f"{PAGE_OF.get(theme, theme)}.figures.json").is_file()


def _insert_after(nb: Any, source: str, cells: list[Any]) -> None:
    at = next(i for i, c in enumerate(nb.cells) if c.source.strip() == source)
    nb.cells[at + 1:at + 1] = cells


@pytest.mark.slow
def test_an_analysts_markdown_and_chart_are_published_in_place(demo: Demo,
                                                                tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOKS / "violence.ipynb", as_version=4)
    chart = ("import matplotlib.pyplot as plt\n"
             "fig, ax = plt.subplots(figsize=(4, 2))\n"
             "ax.bar(['Oct', 'Nov', 'Dec'], [3, 5, 4])\n"
             "ax.set_title('Night-time economy patrols by month')\n"
             "plt.show()")
    _insert_after(nb, "page.at_a_glance()", [
        nbformat.v4.new_markdown_cell("Operation Lantern: patrols in the town centre."),
        nbformat.v4.new_code_cell(chart)])
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nbformat.write(nb, folder / "violence.ipynb")
    html = render(execute_as_jupyterlab(demo, folder / "violence.ipynb", tmp_path))
    lines = structure(html).splitlines()
    glance = lines.index("caption: Violence: targets at a glance")
    chart_at = lines.index("img: Night-time economy patrols by month")
    first_target = next(i for i, line in enumerate(lines) if line.startswith("h2: V1"))
    assert glance < chart_at < first_target
    text = html.index("Operation Lantern: patrols in the town centre.")
    assert html.index("targets at a glance") < text < html.index("V1: Reduce")


@pytest.mark.slow
def test_every_notebook_runs_with_its_defaults_under_nbval(demo: Demo, tmp_path: Path) -> None:
    """nbval (lax: outputs are not compared) executes each notebook top to bottom."""
    env = _env(demo, tmp_path / "out")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
         "--rootdir", str(PROJECT), *(str(NOTEBOOKS / f"{t}.ipynb") for t in THEMES)],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=NBVAL_TIMEOUT_S,
        check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "passed" in done.stdout
    for theme in THEMES:
        assert (tmp_path / "out" / f"{PAGE_OF.get(theme, theme)}.figures.json").is_file(), theme


def test_the_demo_month_is_the_notebooks_default() -> None:
    assert DEFAULTS["month"] == DEMO_MONTH
