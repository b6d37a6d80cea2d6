"""cdrp_lib.quarto: the quarto CLI wrapper's contract, against a stand-in and real quarto."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

from cdrp_lib import quarto as quarto_mod
from cdrp_lib.errors import CdrpError
from cdrp_lib.quarto import RenderError, find_quarto, nav_html, render_with_quarto

# A stand-in for the quarto executable.  It records its arguments and the notebook
# it was given, then behaves as MODE says: "ok" writes the page named by --output
# in its working folder, with a <body> as quarto's pages have; "bodyless" writes
# one without; "fail" prints an error and exits 1; "silent" exits 0 without
# writing anything; "slow" sleeps past any test timeout.
STAND_IN = '''#!{python}
import json, sys, time
from pathlib import Path
MODE = {mode!r}
args = sys.argv[1:]
Path({record!r}).write_text(json.dumps({{
    "args": args,
    "cwd": str(Path.cwd()),
    "notebook": json.loads(Path(args[1]).read_text(encoding="utf-8")),
}}), encoding="utf-8")
if MODE == "fail":
    sys.stderr.write("\\x1b[31mERROR: YAMLError: bad indentation of a mapping entry\\x1b[39m\\n"
                     + "in " + str(Path.cwd() / "page.ipynb") + "\\n")
    sys.exit(1)
if MODE == "slow":
    time.sleep(30)
if MODE == "ok":
    out = args[args.index("--output") + 1]
    Path(out).write_text('<!DOCTYPE html><html lang="en-GB"><head><title>q</title></head>'
                         '<body class="fullcontent">page</body></html>', encoding="utf-8")
if MODE == "bodyless":
    out = args[args.index("--output") + 1]
    Path(out).write_text("<!DOCTYPE html><html lang=en-GB><title>q</title>page", encoding="utf-8")
'''


def _stand_in(tmp_path: Path, mode: str) -> tuple[Path, Path]:
    record = tmp_path / f"quarto-{mode}.json"
    exe = tmp_path / "bin" / f"quarto-{mode}"
    exe.parent.mkdir(exist_ok=True)
    exe.write_text(STAND_IN.format(python=sys.executable, mode=mode, record=str(record)),
                   encoding="utf-8")
    exe.chmod(0o755)
    return exe, record


def _notebook(path: Path, *, front_matter: bool = False) -> Path:
    cells = [new_markdown_cell("# Summary"),
             new_code_cell("secret_code()", outputs=[
                 new_output("display_data", data={"text/html": "<p>figure</p>"})])]
    if front_matter:
        cells.insert(0, new_raw_cell("---\ntitle: Mine\n---"))
    nbformat.write(new_notebook(cells=cells), path)
    return path


def test_success_renders_the_page_with_self_contained_no_code_options(tmp_path: Path) -> None:
    exe, record = _stand_in(tmp_path, "ok")
    nb = _notebook(tmp_path / "summary.ipynb")
    out = tmp_path / "site" / "index.html"
    assert render_with_quarto(nb, out, quarto=exe, title='Kettering: "March"') == out
    assert out.read_text(encoding="utf-8").endswith("page</body></html>")
    assert "<nav" not in out.read_text(encoding="utf-8")  # no nav given, no bar
    seen = json.loads(record.read_text(encoding="utf-8"))
    args = seen["args"]
    assert args[:3] == ["render", "page.ipynb", "--to"] and args[3] == "html"
    assert "--no-execute" in args
    assert args[args.index("--output") + 1] == "page.html"
    metadata = [args[i + 1] for i, a in enumerate(args) if a == "-M"]
    assert {"embed-resources:true", "echo:false", "lang:en-GB"} <= set(metadata)
    front = seen["notebook"]["cells"][0]
    assert front["cell_type"] == "raw"
    source = "".join(front["source"])
    assert 'title: "Kettering: \\"March\\""' in source
    assert "embed-resources: true" in source and "echo: false" in source
    # quarto ran on a private copy beside the output, which is gone afterwards
    assert Path(seen["cwd"]).parent == out.parent
    assert [p.name for p in out.parent.iterdir()] == ["index.html"]
    assert json.loads(nb.read_text(encoding="utf-8"))["cells"][0]["cell_type"] == "markdown"


NAV = [("All bulletins", "../../index.html"), ("Summary", "index.html"),
       ("Violence & <harm>", "violence.html")]


def test_the_navigation_bar_reaches_the_page(tmp_path: Path) -> None:
    exe, _ = _stand_in(tmp_path, "ok")
    nb = _notebook(tmp_path / "violence.ipynb")
    out = render_with_quarto(nb, tmp_path / "site" / "violence.html", quarto=exe, nav=NAV)
    html = out.read_text(encoding="utf-8")
    assert html.index('<body class="fullcontent">') < html.index(
        '<header class="site-header">') < html.index("page</body>")
    assert nav_html(NAV, "violence.html") in html
    assert '<nav aria-label="Bulletin pages">' in html
    assert '<a aria-current="page" href="violence.html">Violence &amp; &lt;harm&gt;</a>' in html
    assert '<a href="../../index.html">All bulletins</a>' in html
    assert html.count("aria-current") == 1
    # the current page can also be named: a page written under another name
    other = render_with_quarto(nb, tmp_path / "site" / "x.html", quarto=exe, nav=NAV,
                               current_name="index.html").read_text(encoding="utf-8")
    assert '<a aria-current="page" href="index.html">Summary</a>' in other


def test_a_page_without_body_cannot_take_the_nav_and_keeps_the_old_page(
        tmp_path: Path) -> None:
    exe, _ = _stand_in(tmp_path, "bodyless")
    nb = _notebook(tmp_path / "n.ipynb")
    out = tmp_path / "n.html"
    out.write_text("previous page", encoding="utf-8")
    with pytest.raises(RenderError, match=r"without a <body> tag for n\.ipynb"):
        render_with_quarto(nb, out, quarto=exe, nav=NAV)
    assert out.read_text(encoding="utf-8") == "previous page"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".quarto-")]


def test_nav_html_is_empty_without_links() -> None:
    assert nav_html([]) == ""


def test_existing_front_matter_is_kept_not_doubled(tmp_path: Path) -> None:
    exe, record = _stand_in(tmp_path, "ok")
    nb = _notebook(tmp_path / "n.ipynb", front_matter=True)
    render_with_quarto(nb, tmp_path / "n.html", quarto=exe, title="Ignored")
    cells = json.loads(record.read_text(encoding="utf-8"))["notebook"]["cells"]
    assert "".join(cells[0]["source"]) == "---\ntitle: Mine\n---"
    assert cells[1]["cell_type"] == "markdown"


def test_failure_carries_quartos_own_message(tmp_path: Path) -> None:
    exe, _ = _stand_in(tmp_path, "fail")
    nb = _notebook(tmp_path / "n.ipynb")
    out = tmp_path / "n.html"
    out.write_text("previous page", encoding="utf-8")
    with pytest.raises(RenderError) as caught:
        render_with_quarto(nb, out, quarto=exe)
    error = caught.value
    assert isinstance(error, CdrpError)
    assert error.returncode == 1
    assert "quarto failed (exit 1) rendering n.ipynb" in str(error)
    assert "ERROR: YAMLError: bad indentation of a mapping entry" in str(error)
    assert "\x1b[" not in str(error)
    assert "/.quarto-" not in str(error)  # the private folder's path is not shown
    assert "bad indentation" in error.stderr
    assert out.read_text(encoding="utf-8") == "previous page"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "n.html", "n.ipynb",
                                                          "quarto-fail.json"]


def test_exit_zero_without_a_page_is_an_error(tmp_path: Path) -> None:
    exe, _ = _stand_in(tmp_path, "silent")
    nb = _notebook(tmp_path / "n.ipynb")
    with pytest.raises(RenderError, match=r"quarto exited 0 but wrote no page for n\.ipynb"):
        render_with_quarto(nb, tmp_path / "n.html", quarto=exe)
    assert not (tmp_path / "n.html").exists()


def test_timeout_is_an_error(tmp_path: Path) -> None:
    exe, _ = _stand_in(tmp_path, "slow")
    nb = _notebook(tmp_path / "n.ipynb")
    with pytest.raises(RenderError, match=r"did not finish rendering n\.ipynb within 1 s"):
        render_with_quarto(nb, tmp_path / "n.html", quarto=exe, timeout=1)


def test_unstartable_quarto_and_missing_notebook_are_errors(tmp_path: Path) -> None:
    nb = _notebook(tmp_path / "n.ipynb")
    not_executable = tmp_path / "quarto"
    not_executable.write_text("not a program", encoding="utf-8")
    with pytest.raises(RenderError, match="quarto could not be started"):
        render_with_quarto(nb, tmp_path / "n.html", quarto=not_executable)
    exe, _ = _stand_in(tmp_path, "ok")
    with pytest.raises(RenderError, match="no such notebook"):
        render_with_quarto(tmp_path / "missing.ipynb", tmp_path / "n.html", quarto=exe)


def test_no_quarto_anywhere_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(quarto_mod, "find_quarto", lambda: None)
    with pytest.raises(RenderError, match="quarto not found"):
        render_with_quarto(_notebook(tmp_path / "n.ipynb"), tmp_path / "n.html")


def test_find_quarto_prefers_the_environment_variable_then_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exe, _ = _stand_in(tmp_path, "ok")
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setattr(sys, "executable", str(empty / "python"))
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("QUARTO_PATH", str(exe))
    assert find_quarto() == exe
    monkeypatch.delenv("QUARTO_PATH")
    assert find_quarto() is None
    on_path = tmp_path / "onpath"
    on_path.mkdir()
    (on_path / "quarto").symlink_to(exe)
    monkeypatch.setenv("PATH", str(on_path))
    assert find_quarto() == on_path / "quarto"


def test_find_quarto_looks_beside_python_for_conda(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exe, _ = _stand_in(tmp_path, "ok")
    env_bin = tmp_path / "env" / "bin"
    env_bin.mkdir(parents=True)
    (env_bin / "quarto").symlink_to(exe)
    monkeypatch.delenv("QUARTO_PATH", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    monkeypatch.setattr(sys, "executable", str(env_bin / "python"))
    assert find_quarto() == env_bin / "quarto"


def test_real_quarto_renders_a_self_contained_page_without_code(tmp_path: Path) -> None:
    exe = find_quarto()
    if exe is None:
        pytest.skip("quarto is not installed (environment.yml provides it; or put it on PATH)")
    nb = _notebook(tmp_path / "n.ipynb")
    out = render_with_quarto(nb, tmp_path / "site" / "n.html", quarto=exe, title="Real quarto",
                             nav=NAV)
    html = out.read_text(encoding="utf-8")
    assert "Real quarto" in html and "<p>figure</p>" in html
    assert nav_html(NAV, "n.html") in html
    assert "secret_code" not in html
    assert 'src="http' not in html and "href=\"http" not in html.split("<body", 1)[0]
