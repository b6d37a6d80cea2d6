"""cdrp_lib.render: executed notebook -> self-contained, accessible, deterministic HTML."""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from cdrp_lib import render
from cdrp_lib.errors import InputError
from cdrp_lib.pages.part import bulletin_css
from cdrp_lib.render import render_page, write_text_atomic

# A 1x1 PNG: real image bytes, tiny.
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
    )
).decode()
SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       '<rect width="10" height="10"/></svg>')
LEAKY_PATH = "/home/analyst/projects/cdrp/secret.py"


def _write(path: Path, cells: list[Any], **nb_metadata: Any) -> Path:
    nb = new_notebook(cells=cells)
    nb.metadata.update(nb_metadata)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _bulletin_notebook(path: Path) -> Path:
    """A notebook with everything a published page must show, hide or drop."""
    code = new_code_cell(
        "SECRET_SOURCE_LINE = 1\nprint('hello from stdout')",
        execution_count=3,
        outputs=[
            new_output("stream", name="stdout", text="hello from stdout\n"),
            new_output("stream", name="stderr", text=f"{LEAKY_PATH}:3: UserWarning: careful\n"),
            new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure 1>"},
                       metadata={"image/png": {"alt": "Violence fell 4% against target"}}),
            new_output("display_data", data={"image/svg+xml": SVG}, metadata={"alt": "SVG chart"}),
            new_output("execute_result", execution_count=3,
                       data={"text/plain": "<matplotlib.axes.Axes at 0x7f3a2c>"}),
            new_output("display_data", data={
                "text/html": '<table class="perf"><caption>Targets</caption>'
                             '<tr><th>Measure</th></tr><tr><td class="rag-G">G Green</td></tr>'
                             "</table>",
                "text/plain": "TABLE AS TEXT"}),
            new_output("display_data", data={"text/markdown": "**Headline:** fewer crimes"}),
            new_output("error", ename="ValueError", evalue="boom",
                       traceback=[f'File "{LEAKY_PATH}", line 1', "ValueError: boom"]),
        ],
    )
    code.metadata["papermill"] = {"input_path": LEAKY_PATH}
    code.metadata["tags"] = ["parameters"]
    cells = [new_markdown_cell("# Violence\n\nThe *partnership* & its targets.\n\n## Detail"),
             code]
    return _write(path, cells, papermill={"output_path": LEAKY_PATH})


@pytest.fixture
def page(tmp_path: Path) -> str:
    nb = _bulletin_notebook(tmp_path / "runs" / "violence.ipynb")
    out = render_page(nb, tmp_path / "site" / "violence.html", title="Violence: Kettering").path
    return out.read_text(encoding="utf-8")


def test_page_fetches_nothing(page: str) -> None:
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()
    assert "@import" not in page
    assert re.findall(r'(?:src|href)="(?!data:|#)[^"]*"', page) == []
    assert "cdnjs" not in page and "mathjax" not in page.lower()


def test_page_has_language_title_skip_link_and_main(page: str) -> None:
    assert '<html lang="en-GB">' in page
    assert "<title>Violence: Kettering</title>" in page
    assert '<a class="skip-link" href="#main">' in page
    assert page.count("<main") == 1 and 'id="main"' in page


def test_page_is_the_template_as_written_with_no_second_html_pass(page: str) -> None:
    """nbconvert's HTMLExporter ends by parsing the page with BeautifulSoup and printing
    it again (60% of rendering a page); the bulletin's exporter leaves that out, so the
    page keeps the template's own markup: void tags unclosed, bare attributes bare."""
    assert '<meta charset="utf-8">' in page and "<meta charset=\"utf-8\"/>" not in page
    assert '<main id="main" tabindex="-1" data-pagefind-body>' in page
    assert 'data-pagefind-body=""' not in page


def test_code_and_prompts_are_hidden(page: str) -> None:
    assert "SECRET_SOURCE_LINE" not in page
    assert "In&nbsp;[" not in page and "Out[" not in page and "In [" not in page


def test_streams_tracebacks_and_plain_reprs_are_dropped(page: str) -> None:
    assert "hello from stdout" not in page
    assert "UserWarning" not in page
    assert "/home/analyst" not in page
    assert "ValueError" not in page
    assert "0x7f3a2c" not in page
    assert "TABLE AS TEXT" not in page
    assert "<Figure 1>" not in page and "&lt;Figure 1&gt;" not in page


def test_cell_and_notebook_metadata_never_reach_the_page(page: str) -> None:
    assert "papermill" not in page
    assert "parameters" not in page
    assert "secret.py" not in page


def test_images_are_inline_with_their_alt_text(page: str) -> None:
    assert f'src="data:image/png;base64,{PNG}"' in page
    assert 'alt="Violence fell 4% against target"' in page
    svg_b64 = base64.b64encode(SVG.encode()).decode()
    assert f'src="data:image/svg+xml;base64,{svg_b64}"' in page
    assert 'alt="SVG chart"' in page


def test_html_and_markdown_outputs_are_included(page: str) -> None:
    assert '<table class="perf"><caption>Targets</caption>' in page
    assert '<td class="rag-G">G Green</td>' in page
    assert "<strong>Headline:</strong> fewer crimes" in page
    assert "The <em>partnership</em> &amp; its targets." in page


def test_html_wins_over_javascript_and_script_outputs_are_dropped(
    tmp_path: Path, recwarn: pytest.WarningsRecorder
) -> None:
    nb = _write(tmp_path / "a.ipynb", [new_code_cell("x", outputs=[
        new_output("display_data", data={"application/javascript": "alert('both')",
                                         "text/html": "<p>static figure</p>"}),
        new_output("display_data", data={"application/javascript": "alert('only')"}),
        new_output("display_data", data={"text/plain": "only text"}),
    ])])
    html = render_page(nb, tmp_path / "a.html", title="T").path.read_text(encoding="utf-8")
    assert "<p>static figure</p>" in html
    assert "alert(" not in html and "only text" not in html
    assert not [w for w in recwarn if "not able to be represented" in str(w.message)]


def _first_line_cell(source: str, outputs: list[Any], **tags: Any) -> Any:
    cell = new_code_cell(source, outputs=outputs)
    cell.metadata.update(tags)
    return cell


def test_an_image_without_alt_text_fails_naming_the_notebook_and_cell(tmp_path: Path) -> None:
    injected = new_code_cell('partnership = "x"', metadata={"tags": ["injected-parameters"]})
    cells = [new_code_cell("partnership = 'a'", metadata={"tags": ["parameters"]}), injected,
             new_markdown_cell("# Violence"),
             new_code_cell("\nfig, ax = plt.subplots()\nax.plot(x)", outputs=[
                 new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"})])]
    nb = _write(tmp_path / "violence.ipynb", cells)
    out = tmp_path / "violence.html"
    with pytest.raises(render.RenderError) as info:
        render_page(nb, out, title="T")
    assert str(info.value) == (
        'violence.ipynb cell 3 ("fig, ax = plt.subplots()"): a chart has no alt text; give it a '
        'title or use cdrp_lib.show_chart(fig, alt="...")')
    assert not out.exists()


@pytest.mark.parametrize("output", [
    new_output("display_data", data={"image/png": PNG}, metadata={"image/png": {"alt": " "}}),
    new_output("display_data", data={"image/svg+xml": SVG}),
    new_output("display_data", data={"text/html": f'<img src="data:image/png;base64,{PNG}">'}),
    new_output("display_data", data={"text/html": '<p>Chart</p><IMG SRC="x.png" ALT="">'}),
    new_output("display_data", data={"text/markdown": "![](chart.png)"}),
])
def test_every_kind_of_published_image_needs_alt_text(tmp_path: Path, output: Any) -> None:
    nb = _write(tmp_path / "a.ipynb", [new_code_cell("show()", outputs=[output])])
    with pytest.raises(render.RenderError, match=r'a\.ipynb cell 1 \("show\(\)"\)'):
        render_page(nb, tmp_path / "a.html", title="T")


def test_images_that_are_not_published_need_no_alt_text(tmp_path: Path) -> None:
    html_wins = new_output("display_data", data={"text/html": "<p>table</p>", "image/png": PNG})
    hidden = new_code_cell("x", outputs=[new_output("display_data", data={"image/png": PNG})],
                           metadata={"tags": ["remove-output"]})
    removed = new_code_cell("y", outputs=[new_output("display_data", data={"image/png": PNG})],
                            metadata={"tags": ["remove-cell"]})
    nb = _write(tmp_path / "a.ipynb", [new_code_cell("z", outputs=[html_wins]), hidden, removed])
    html = render_page(nb, tmp_path / "a.html", title="T").path.read_text(encoding="utf-8")
    assert "<p>table</p>" in html and "<img" not in html


def test_markdown_image_without_alt_text_fails(tmp_path: Path) -> None:
    nb = _write(tmp_path / "a.ipynb", [new_markdown_cell("Intro\n\n![](map.png)")])
    with pytest.raises(render.RenderError, match=r'a\.ipynb cell 1 \("Intro"\)'):
        render_page(nb, tmp_path / "a.html", title="T")


def test_several_cells_without_alt_text_are_named_in_one_message(tmp_path: Path) -> None:
    bare = new_output("display_data", data={"image/png": PNG})
    nb = _write(tmp_path / "a.ipynb", [new_code_cell(f"chart_{i}()", outputs=[bare])
                                       for i in range(3)])
    with pytest.raises(render.RenderError) as info:
        render_page(nb, tmp_path / "a.html", title="T")
    assert str(info.value).startswith(
        'a.ipynb cell 1 ("chart_0()") (and cell 2 ("chart_1()"), cell 3 ("chart_2()")): ')


# ------------------------------------------------------------- cells and their tags

def _block(text: str) -> Any:
    return new_output("display_data", data={"text/html": f"<p>{text}</p>"})


def _tagged(source: str, text: str, *tags: str) -> Any:
    return new_code_cell(source, outputs=[_block(text)], metadata={"tags": list(tags)})


def test_cells_are_published_in_notebook_order_with_markdown_in_place(tmp_path: Path) -> None:
    nb = _write(tmp_path / "a.ipynb", [
        _tagged("header()", "HEADER"),
        new_markdown_cell("Operation *Lantern* began in November."),
        _tagged("section()", "SECTION"),
        new_markdown_cell("## Analyst's chart"),
        _tagged("footer()", "FOOTER"),
    ])
    html = render_page(nb, tmp_path / "a.html", title="T").path.read_text(encoding="utf-8")
    order = [html.index(s) for s in ("HEADER", "Operation <em>Lantern</em> began", "SECTION",
                                     "Analyst's chart</h2>", "FOOTER")]
    assert order == sorted(order)
    assert html.index("FOOTER") < html.index("</main>")


def test_markdown_headings_get_ids_to_link_to_unless_the_page_has_them(tmp_path: Path) -> None:
    nb = _write(tmp_path / "a.ipynb", [
        new_code_cell("top()", outputs=[new_output("display_data", data={
            "text/html": '<h2 id="caveats">Caveats of the measure</h2>'})]),
        new_markdown_cell("## Data sources\n\ntext"),
        new_markdown_cell("### Data *sources*"),
        new_markdown_cell("## Caveats"),
    ])
    html = render_page(nb, tmp_path / "a.html", title="T").path.read_text(encoding="utf-8")
    assert '<h2 id="data-sources">Data sources</h2>' in html
    assert "<h3>Data <em>sources</em></h3>" in html  # its id is taken: left without one
    assert "<h2>Caveats</h2>" in html and html.count('id="caveats"') == 1


def test_remove_cell_and_remove_output_tags_are_honoured(tmp_path: Path) -> None:
    removed_markdown = new_markdown_cell("ANALYST ONLY NOTE", metadata={"tags": ["remove-cell"]})
    one_output = new_code_cell("two()", outputs=[_block("KEPT OUTPUT"), _block("DROPPED ONE")])
    one_output.outputs[1].metadata["tags"] = ["remove-output"]
    nb = _write(tmp_path / "a.ipynb", [
        _tagged("frame()", "FRAME FOR THE ANALYST", "remove-cell"),
        removed_markdown,
        _tagged("quiet()", "NOT SHOWN", "remove-output"),
        _tagged("SECRET_CODE = 1", "INPUT REMOVED, OUTPUT KEPT", "remove-input"),
        one_output,
        _tagged("x = 1", "INJECTED", "injected-parameters"),
    ])
    html = render_page(nb, tmp_path / "a.html", title="T").path.read_text(encoding="utf-8")
    for gone in ("FRAME FOR THE ANALYST", "ANALYST ONLY NOTE", "NOT SHOWN", "SECRET_CODE",
                 "DROPPED ONE", "INJECTED", "remove-"):
        assert gone not in html
    assert "INPUT REMOVED, OUTPUT KEPT" in html and "KEPT OUTPUT" in html


def test_publishable_leaves_the_notebook_alone(tmp_path: Path) -> None:
    nb = nbformat.read(_write(tmp_path / "a.ipynb", [_tagged("f()", "X", "remove-cell"),
                                                     _tagged("g()", "Y", "remove-output")]),
                       as_version=4)
    kept = render.publishable(nb)
    assert len(kept.cells) == 1 and kept.cells[0].outputs == []
    assert len(nb.cells) == 2 and nb.cells[1].outputs


def test_notebook_heading_is_the_only_h1(page: str) -> None:
    assert page.count("<h1") == 1
    assert "<h1>Violence</h1>" in page


def test_title_becomes_the_escaped_h1_when_the_notebook_has_none(tmp_path: Path) -> None:
    nb = _write(tmp_path / "a.ipynb", [new_markdown_cell("Just text.")])
    html = render_page(nb, tmp_path / "a.html",
                       title="<script>alert(1)</script>").path.read_text(encoding="utf-8")
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in html
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>" in html
    assert "<script" not in html


def test_navigation_marks_the_current_page(tmp_path: Path) -> None:
    nb = _write(tmp_path / "a.ipynb", [new_markdown_cell("# ASB")])
    nav = [("All bulletins", "../../index.html"), ("Summary", "index.html"), ("ASB", "asb.html")]
    page = render_page(nb, tmp_path / "asb.html", title="ASB", nav=nav).path
    html = page.read_text(encoding="utf-8")
    assert '<a aria-current="page" href="asb.html">ASB</a>' in html
    assert '<a href="index.html">Summary</a>' in html
    assert '<nav aria-label="Bulletin pages">' in html


def test_same_notebook_gives_byte_identical_html_from_any_folder(tmp_path: Path) -> None:
    first = _bulletin_notebook(tmp_path / "one" / "n.ipynb")
    second = tmp_path / "elsewhere" / "deeper" / "n.ipynb"
    second.parent.mkdir(parents=True)
    shutil.copy(first, second)
    a = render_page(first, tmp_path / "out1" / "p.html", title="T").path.read_bytes()
    b = render_page(first, tmp_path / "out2" / "p.html", title="T").path.read_bytes()
    c = render_page(second, tmp_path / "out3" / "p.html", title="T").path.read_bytes()
    assert a == b == c
    assert str(tmp_path).encode() not in a


def test_output_is_written_atomically_with_no_temporary_left(tmp_path: Path) -> None:
    nb = _write(tmp_path / "a.ipynb", [new_markdown_cell("# A")])
    out = tmp_path / "site" / "a.html"
    render_page(nb, out, title="A")
    assert [p.name for p in out.parent.iterdir()] == ["a.html"]
    assert out.stat().st_mode & 0o777 == render.PUBLISHED_FILE_MODE


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "p.html"
    out.write_text("old page", encoding="utf-8")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(render.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_text_atomic(out, "new page")
    assert out.read_text(encoding="utf-8") == "old page"
    assert [p.name for p in tmp_path.iterdir()] == ["p.html"]


def test_not_a_notebook_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.ipynb"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"broken\.ipynb.*not valid JSON"):
        render_page(bad, tmp_path / "x.html", title="T")
    assert not (tmp_path / "x.html").exists()


def test_json_that_is_not_a_notebook_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "list.ipynb"
    bad.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(InputError, match=r"list\.ipynb.*not a Jupyter notebook"):
        render_page(bad, tmp_path / "x.html", title="T")


def test_missing_notebook_and_unknown_renderer_are_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.ipynb"):
        render_page(tmp_path / "nope.ipynb", tmp_path / "x.html", title="T")
    nb = _write(tmp_path / "a.ipynb", [])
    with pytest.raises(ValueError, match="renderer must be one of nbconvert, quarto"):
        render_page(nb, tmp_path / "x.html", title="T", renderer="pandoc")


def test_quarto_renderer_falls_back_to_nbconvert_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "find_quarto", lambda: None)
    nb = _write(tmp_path / "a.ipynb", [new_markdown_cell("# A")])
    result = render_page(nb, tmp_path / "a.html", title="A", renderer="quarto")
    assert (result.requested, result.renderer) == ("quarto", "nbconvert")
    assert result.fallback_reason is not None and "quarto not found" in result.fallback_reason
    assert "<h1>A</h1>" in result.path.read_text(encoding="utf-8")


def test_quarto_renderer_uses_quarto_when_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Path, Path, dict[str, Any]]] = []

    def fake_quarto(ipynb: Path, out: Path, **kw: Any) -> Path:
        calls.append((ipynb, out, kw))
        out.write_text("quarto page", encoding="utf-8")
        return out

    monkeypatch.setattr(render, "find_quarto", lambda: Path("/opt/quarto/bin/quarto"))
    seen: list[Any] = []

    def fake_quarto_reading(ipynb: Path, out: Path, **kw: Any) -> Path:
        seen.append(nbformat.read(ipynb, as_version=4))
        return fake_quarto(ipynb, out, **kw)

    monkeypatch.setattr(render, "render_with_quarto", fake_quarto_reading)
    nb = _write(tmp_path / "a.ipynb", [_tagged("f()", "X", "remove-cell"), _tagged("g()", "Y")])
    nav = [("Summary", "index.html"), ("A", "a.html")]
    result = render_page(nb, tmp_path / "a.html", title="A", renderer="quarto", nav=nav)
    assert (result.renderer, result.fallback_reason) == ("quarto", None)
    ((copy, out, kw),) = calls
    assert copy.name == "a.ipynb" and copy != nb  # quarto gets what may be published
    assert [c.source for c in seen[0].cells] == ["g()"]
    assert not copy.exists()
    assert (out, kw) == (tmp_path / "a.html",
                         {"quarto": Path("/opt/quarto/bin/quarto"), "title": "A", "nav": nav,
                          "current_name": "a.html"})


def test_quarto_page_gets_the_same_navigation_bar_as_nbconvert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through a stand-in quarto executable that writes a page with a <body>."""
    import sys

    stand_in = tmp_path / "bin" / "quarto"
    stand_in.parent.mkdir()
    stand_in.write_text(
        f"#!{sys.executable}\nimport sys\nfrom pathlib import Path\n"
        "out = sys.argv[sys.argv.index('--output') + 1]\n"
        "Path(out).write_text('<!DOCTYPE html><html><head><title>q</title></head>'"
        " '<body class=\"fullcontent\"><main>quarto page</main></body></html>')\n",
        encoding="utf-8")
    stand_in.chmod(0o755)
    monkeypatch.setattr(render, "find_quarto", lambda: stand_in)
    nb = _write(tmp_path / "asb.ipynb", [new_markdown_cell("# ASB")])
    nav = [("All bulletins", "../../index.html"), ("Summary", "index.html"),
           ("Anti-social <behaviour>", "asb.html")]
    quarto = render_page(nb, tmp_path / "q" / "asb.html", title="ASB", renderer="quarto",
                         nav=nav)
    assert quarto.renderer == "quarto"
    page = quarto.path.read_text(encoding="utf-8")
    plain = render_page(nb, tmp_path / "n" / "asb.html", title="ASB", nav=nav).path.read_text(
        encoding="utf-8")
    bar = re.search(r'<header class="site-header">.*?</header>', plain, re.DOTALL)
    assert bar is not None
    assert '<body class="fullcontent">\n' + bar.group(0) + "\n<main>quarto page" in page
    assert '<a aria-current="page" href="asb.html">Anti-social &lt;behaviour&gt;</a>' in page
    assert '<a href="../../index.html">All bulletins</a>' in page


# ---------------------------------------------------------------- the stylesheet

def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


WCAG_AA_TEXT = 4.5


def test_contrast_helper_matches_known_ratios() -> None:
    assert _contrast("#000000", "#ffffff") == pytest.approx(21.0, abs=0.01)
    assert _contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_rag_cells_meet_wcag_aa_and_differ_by_more_than_colour() -> None:
    css = bulletin_css()
    styles = {}
    for code in ("G", "A", "R", "none"):
        rule = re.search(rf"^\.rag-{code} \{{([^}}]*)\}}", css, re.MULTILINE)
        assert rule, f".rag-{code} rule missing"
        body = rule.group(1)
        background = re.search(r"background: (#[0-9a-f]{6})", body)
        colour = re.search(r"(?<!-)color: (#[0-9a-f]{6})", body)
        border = re.search(r"border-left: [\d.]+rem (\w+)", body)
        assert background and colour and border, body
        assert _contrast(colour.group(1), background.group(1)) >= WCAG_AA_TEXT, code
        styles[code] = border.group(1)
    assert len(set(styles.values())) == 4, f"border styles must differ: {styles}"


def test_page_colours_meet_wcag_aa_on_white() -> None:
    css = bulletin_css()
    for name in ("text", "muted", "link", "link-visited", "rule"):
        value = re.search(rf"--{name}: (#[0-9a-f]{{6}})", css)
        assert value, name
        needed = 3.0 if name == "rule" else WCAG_AA_TEXT  # borders need 3:1 (non-text)
        assert _contrast(value.group(1), "#ffffff") >= needed, name


def test_stylesheet_prints_on_a4_and_fetches_nothing() -> None:
    css = bulletin_css()
    assert "@page { size: A4" in css
    assert "@media print" in css
    assert "url(" not in css and "@import" not in css


def _rule(css: str, selector: str) -> str:
    """The declarations of the rule for exactly ``selector`` (outside @media)."""
    found = re.search(rf"^{re.escape(selector)} \{{([^}}]*)\}}", css, re.MULTILINE)
    assert found, f"no rule for {selector}"
    return found.group(1)


def _colour(css: str, body: str, prop: str = "color") -> str:
    """A colour declared in ``body``, with ``var(--x)`` looked up in :root."""
    value = re.search(rf"(?<![-\w]){prop}: ([^;]+);", body)
    assert value, (prop, body)
    text = value.group(1).strip()
    var = re.fullmatch(r"var\(--([\w-]+)\)", text)
    if var:
        found = re.search(rf"--{var.group(1)}: (#[0-9a-f]{{6}})", css)
        assert found, text
        return found.group(1)
    assert re.fullmatch(r"#[0-9a-f]{6}", text), text
    return text


# Classes the tables and pages write (cdrp_lib.tables, cdrp_lib.pages, cdrp_lib.charts).
PAGE_CLASSES = (".status-good", ".status-bad", ".status-neutral", ".not-assessed",
                ".cell-note", "dl.metadata", ".security-marking", ".breadcrumb",
                ".rating > span", "figure.chart", ".synthetic", ".synthetic-banner")


def test_every_class_the_pages_use_has_a_rule() -> None:
    css = bulletin_css()
    for selector in PAGE_CLASSES:
        assert _rule(css, selector).strip(), selector


def test_status_and_note_text_meet_wcag_aa_wherever_they_appear() -> None:
    css = bulletin_css()
    white, panel = "#ffffff", _colour(css, _rule(css, ":root"), "--panel")
    for selector in (".status-good", ".status-bad", ".status-neutral", ".not-assessed",
                     ".cell-note"):
        colour = _colour(css, _rule(css, selector))
        for background in (white, panel):
            assert _contrast(colour, background) >= WCAG_AA_TEXT, (selector, background)
    # a note sits inside RAG cells too (an override's reason, a not-assessed reason)
    note = _colour(css, _rule(css, ".cell-note"))
    for code in ("G", "A", "R", "none"):
        background = _colour(css, _rule(css, f".rag-{code}"), "background")
        assert _contrast(note, background) >= WCAG_AA_TEXT, code
    banner = _colour(css, _rule(css, ".synthetic-banner"), "background")
    assert _contrast(_colour(css, _rule(css, ":root"), "--text"), banner) >= WCAG_AA_TEXT


def test_good_and_bad_differ_by_more_than_colour() -> None:
    """A mark before the words, kept out of the screen-reader text (the words say it)."""
    css = bulletin_css()
    marks = {}
    for status in ("good", "bad"):
        body = _rule(css, f".status-{status}::before")
        mark = re.findall(r'content: ("[^"]+")( / "")?;', body)
        assert mark and mark[-1][1], body  # the last declaration has empty alt text
        marks[status] = mark[-1][0]
    assert marks["good"] != marks["bad"]


def test_tables_are_compact_and_fit_a4_in_print() -> None:
    css = bulletin_css()
    printed = css[css.index("@media print"):]
    assert re.search(r"table \{[^}]*width: 100%[^}]*font-size: [\d.]+pt", printed)
    assert re.search(r"th, td \{[^}]*padding: [^}]*overflow-wrap: break-word", printed)
    assert re.search(r"\.table-wrap \{ overflow: visible; \}", printed)


# ----------------------------------------------------------------------------- vector charts

_CHARTS_AS_DRAWN = """(() => {
  const figures = [...document.querySelectorAll('figure.chart')];
  const svgs = figures.map(f => f.firstElementChild)
    .filter(e => e && e.namespaceURI === 'http://www.w3.org/2000/svg' && e.localName === 'svg');
  return {
    scale: window.devicePixelRatio,
    figures: figures.length,
    svg: svgs.length,
    raster: document.querySelectorAll('img, canvas, picture').length
      + figures.reduce((n, f) => n + f.querySelectorAll('image').length, 0),
    labelled: svgs.filter(s => s.getAttribute('role') === 'img'
      && (s.getAttribute('aria-label') || '').trim().length > 20).length,
    withText: svgs.filter(s => [...s.querySelectorAll('text')]
      .some(t => t.textContent.trim() && t.getComputedTextLength() > 0)).length,
    shown: svgs.filter(s => s.getBoundingClientRect().width > 100).length,
  };
})()"""


@pytest.mark.browser
@pytest.mark.slow
def test_demo_charts_are_vector_at_four_times_device_scale(demo_site: Any) -> None:
    """At 400% (a 4x device scale) every chart is an inline <svg> the browser draws itself,
    with its words as text: sharp at any zoom and in print, and no raster image at all."""
    from conftest import DEMO_MONTH

    browser = pytest.importorskip("browser", reason="tests/browser.py must be importable")
    browser.require_browser()
    assert demo_site.returncode == 0, demo_site.stdout[-4000:] + demo_site.stderr[-4000:]
    bulletin = demo_site.site / "ashcombe" / DEMO_MONTH
    with browser.Browser(flags=("--force-device-scale-factor=4",)) as b:
        for name in ("violence", "acquisitive_crime", "domestic_abuse", "perception"):
            drawn = b.inspect(bulletin / f"{name}.html", _CHARTS_AS_DRAWN)
            assert drawn["scale"] == 4, drawn
            assert drawn["figures"] >= 1, f"{name}: no chart"
            assert drawn["raster"] == 0, f"{name}: {drawn}"
            assert drawn["figures"] == drawn["svg"] == drawn["labelled"] == drawn["withText"] \
                == drawn["shown"], f"{name}: {drawn}"


def test_warm_up_compiles_the_template_a_worker_renders_with(tmp_path: Path) -> None:
    """A batch worker warms up once: the template is then loaded and compiled, so its first
    page renders like every later one, and the same."""
    render._exporter.cache_clear()
    try:
        assert getattr(render._exporter(), "_template_cached", None) is None
        render.warm_up()
        assert getattr(render._exporter(), "_template_cached", None) is not None
        nb = new_notebook(cells=[new_markdown_cell("# Title\n\nText.")])
        warm = render.notebook_to_html(nb, title="T")
    finally:
        render._exporter.cache_clear()
    assert warm == render.notebook_to_html(nb, title="T")  # made afresh: the same page


def test_pages_inline_the_stylesheet_without_comments_or_spare_whitespace(page: str) -> None:
    """Only comments and whitespace go: with both taken out of the file, it is the same text."""
    from cdrp_lib.pages.part import inline_css

    inlined = inline_css()
    assert inlined in page
    assert "/*" not in inlined and len(inlined) < 0.7 * len(bulletin_css())
    bare = re.sub(r"/\*.*?\*/", "", bulletin_css(), flags=re.DOTALL)
    def squeezed(css: str) -> str:
        return re.sub(r"\s+", "", css).replace(";}", "}")

    assert squeezed(bare) == squeezed(inlined)
