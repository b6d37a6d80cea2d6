"""cdrp_lib.commentary: each rule fires with its one-line message, the loader keeps to its
partnership and month, and the HTML is safe whatever the text holds."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdrp_lib.commentary import (
    Commentary,
    check_commentary_tree,
    commentary_html,
    commentary_path,
    load_commentary,
    safe_link,
)
from cdrp_lib.errors import ParamsError
from cdrp_lib.params import THEMES, load_bulletin, load_partnerships

REPO_PARAMS = Path(__file__).resolve().parents[1] / "params"
TARGETS = ("all-crime", "violent-crime", "violent-crime-town-centre", "vehicle-crime")
FILE = "commentary/ashcombe/2025-12.yaml"
GOOD = """\
themes:
  violence: |
    Operation Lantern began in November
    in the town centre.
targets:
  violent-crime: "The rise in October follows a change in recording."
"""


@pytest.fixture
def params_dir(tmp_path: Path) -> Path:
    return tmp_path


def write(params_dir: Path, text: str, rel: str = FILE) -> Path:
    path = params_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load(params_dir: Path, month: str = "2025-12", partnership: str = "ashcombe") -> Commentary:
    return load_commentary(params_dir, partnership, month, themes=THEMES, targets=TARGETS)


def messages(params_dir: Path) -> list[str]:
    with pytest.raises(ParamsError) as info:
        load(params_dir)
    return [str(p) for p in info.value.problems]


def only(params_dir: Path) -> str:
    found = messages(params_dir)
    assert len(found) == 1, found
    return found[0]


# --------------------------------------------------------------------------- loading


def test_the_file_loads_as_stripped_text_by_theme_and_target(params_dir: Path) -> None:
    path = write(params_dir, GOOD)
    c = load(params_dir)
    assert (c.partnership, c.month, c.path) == ("ashcombe", "2025-12", path)
    assert c.for_theme("violence") == "Operation Lantern began in November\nin the town centre."
    assert c.for_target("violent-crime") == "The rise in October follows a change in recording."
    assert c.for_theme("asb") is None and c.for_target("all-crime") is None
    assert c.to_json() == {"themes": {"violence": c.for_theme("violence")},
                           "targets": {"violent-crime": c.for_target("violent-crime")}}
    assert not c.empty


def test_no_file_is_an_empty_commentary(params_dir: Path) -> None:
    c = load(params_dir)
    assert c == Commentary("ashcombe", "2025-12")
    assert c.empty and c.path is None and c.to_json() == {}


def test_to_json_leaves_out_an_empty_section(params_dir: Path) -> None:
    write(params_dir, "targets:\n  all-crime: Fewer crimes.\n")
    assert load(params_dir).to_json() == {"targets": {"all-crime": "Fewer crimes."}}


def test_an_empty_section_is_allowed(params_dir: Path) -> None:
    write(params_dir, "themes:\ntargets:\n  all-crime: Fewer crimes.\n")
    assert dict(load(params_dir).themes) == {}


def test_commentary_is_immutable(params_dir: Path) -> None:
    write(params_dir, GOOD)
    c = load(params_dir)
    with pytest.raises(TypeError):
        c.themes["asb"] = "x"  # type: ignore[index]


def test_commentary_belongs_to_its_partnership_and_month_only(params_dir: Path) -> None:
    write(params_dir, GOOD)
    assert not load(params_dir).empty
    assert load(params_dir, month="2025-11").empty
    assert load(params_dir, month="2026-01").empty
    assert load(params_dir, partnership="brackenford").empty


def test_the_path_is_built_only_from_an_id_and_a_month(params_dir: Path) -> None:
    assert commentary_path(params_dir, "ashcombe", "2025-12") == params_dir / FILE
    with pytest.raises(ValueError, match="partnership must be an id"):
        commentary_path(params_dir, "../partnerships", "2025-12")
    with pytest.raises(ValueError, match="month must be YYYY-MM"):
        commentary_path(params_dir, "ashcombe", "2025-13")


def test_the_demo_commentary_uses_real_ids() -> None:
    partnerships = load_partnerships(REPO_PARAMS)
    themes = load_bulletin(REPO_PARAMS).theme_order
    found = check_commentary_tree(REPO_PARAMS, partnerships, themes)
    demo = {(c.partnership, c.month): c for c in found}[("ashcombe", "2025-12")]
    assert demo.for_theme("violence") and demo.for_target("violent-crime")
    assert "commentary" not in {p.id for p in partnerships.values()}


# --------------------------------------------------------------------------- the rules


def test_unknown_target_names_file_line_key_and_the_nearest_ids(params_dir: Path) -> None:
    write(params_dir, """\
        themes:
          violence: Text.
        targets:
          violnt-crime: "The rise in October."
        """)
    assert only(params_dir) == (
        f"{params_dir / FILE}, line 4, key targets.violnt-crime: unknown target; expected one "
        "of ashcombe's target ids (all-crime, violent-crime, violent-crime-town-centre, "
        "vehicle-crime), found 'violnt-crime'; did you mean 'violent-crime'?")


def test_unknown_theme_names_the_bulletin_themes(params_dir: Path) -> None:
    write(params_dir, "themes:\n  violance: Text.\n")
    assert only(params_dir) == (
        f"{params_dir / FILE}, line 2, key themes.violance: unknown theme; expected one of "
        "the bulletin's themes (summary, violence, acquisitive_crime, asb, domestic_abuse, "
        "perception), found 'violance'; did you mean 'violence'?")


def test_a_long_id_list_is_cut_and_an_id_with_no_neighbour_has_no_guess(
        params_dir: Path) -> None:
    write(params_dir, "targets:\n  zzz: Text.\n")
    many = [f"target-{i}" for i in range(10)]
    with pytest.raises(ParamsError) as info:
        load_commentary(params_dir, "ashcombe", "2025-12", themes=THEMES, targets=many)
    assert str(info.value) == (
        f"{params_dir / FILE}, line 2, key targets.zzz: unknown target; expected one of "
        "ashcombe's target ids (target-0, target-1, target-2, target-3, target-4, target-5, "
        "target-6, target-7 and 2 more), found 'zzz'")


def test_unknown_top_level_key(params_dir: Path) -> None:
    write(params_dir, "theme: {violence: Text.}\n")
    assert only(params_dir) == (
        f"{params_dir / FILE}, line 1, key theme: unknown key; expected themes or targets, "
        "found 'theme'; did you mean 'themes'?")


def test_text_must_be_text(params_dir: Path) -> None:
    write(params_dir, "targets:\n  all-crime: 2025\n")
    assert only(params_dir) == (
        f"{params_dir / FILE}, line 2, key targets.all-crime: not text; expected Markdown "
        "text (quote it, or write `|` and the text on the lines below), found 2025")


def test_text_must_not_be_empty(params_dir: Path) -> None:
    write(params_dir, "themes:\n  violence: '  '\n")
    assert only(params_dir) == (
        f"{params_dir / FILE}, line 2, key themes.violence: empty text; expected Markdown "
        "text (or leave the key out), found '  '")


def test_a_section_must_be_a_mapping(params_dir: Path) -> None:
    write(params_dir, "targets:\n  - all-crime\n")
    assert only(params_dir) == (
        f"{params_dir / FILE}, line 2, key targets: not a mapping; expected lines "
        "`<target id>: text`, found ['all-crime']")


@pytest.mark.parametrize(("text", "found"), [("", "an empty file"), ("- a\n", "a list")])
def test_the_file_must_be_a_mapping(params_dir: Path, text: str, found: str) -> None:
    write(params_dir, text)
    assert only(params_dir) == (
        f"{params_dir / FILE}: not a commentary file; expected a mapping with `themes` "
        f"and/or `targets`, found {found}")


def test_a_key_given_twice_is_reported_where_it_repeats(params_dir: Path) -> None:
    write(params_dir, "themes:\n  violence: One.\n  asb: Two.\n  violence: Three.\n")
    assert only(params_dir) == (
        f"{params_dir / FILE}, line 4, key themes.violence: key given twice; expected each "
        "key once (the first is on line 2), found 'violence'")


def test_bad_yaml_is_one_problem_with_its_line(params_dir: Path) -> None:
    write(params_dir, "themes:\n  violence: [unclosed\n")
    found = only(params_dir)
    assert found.startswith(f"{params_dir / FILE}, line 3: not valid YAML"), found


def test_every_problem_in_a_file_is_reported_at_once(params_dir: Path) -> None:
    write(params_dir, "themes:\n  violance: a\ntargets:\n  all-crime: ''\n  nope: b\nextra: 1\n")
    assert [m.split(": ")[0].rsplit(", ", 1)[-1] for m in messages(params_dir)] == [
        "key themes.violance", "key targets.all-crime", "key targets.nope", "key extra"]


# --------------------------------------------------------------------------- the tree


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A params folder with the real measures, bulletin and demo partnerships."""
    shutil.copy(REPO_PARAMS / "measures.yaml", tmp_path)
    shutil.copy(REPO_PARAMS / "bulletin.yaml", tmp_path)
    (tmp_path / "partnerships").mkdir()
    for stem in ("ashcombe", "ashcombe-town-centre", "brackenford"):
        shutil.copy(REPO_PARAMS / "partnerships" / f"{stem}.yaml", tmp_path / "partnerships")
    return tmp_path


def tree_messages(root: Path) -> list[str]:
    with pytest.raises(ParamsError) as info:
        check_commentary_tree(root, load_partnerships(root), THEMES)
    return [str(p) for p in info.value.problems]


def test_tree_loads_every_file_and_ignores_hidden_files_and_readme(tree: Path) -> None:
    write(tree, GOOD)
    write(tree, "targets:\n  anti-social-behaviour: Quieter.\n",
          "commentary/brackenford/2025-11.yaml")
    write(tree, "notes\n", "commentary/README.md")
    write(tree, "swap\n", "commentary/ashcombe/.2025-12.yaml.swp")
    found = check_commentary_tree(tree, load_partnerships(tree), THEMES)
    assert [(c.partnership, c.month) for c in found] == [("ashcombe", "2025-12"),
                                                          ("brackenford", "2025-11")]
    assert set(load_partnerships(tree)) == {"ashcombe", "ashcombe-town-centre", "brackenford"}


def test_tree_without_a_commentary_folder_is_empty(tree: Path) -> None:
    assert check_commentary_tree(tree, load_partnerships(tree), THEMES) == ()


def test_tree_folder_must_be_a_partnership(tree: Path) -> None:
    write(tree, GOOD, "commentary/ashcomb/2025-12.yaml")
    assert tree_messages(tree) == [
        f"{tree / 'commentary/ashcomb/2025-12.yaml'}: unknown partnership folder; expected a "
        "partnership in partnerships/ (ashcombe, ashcombe-town-centre, brackenford), found "
        "'ashcomb'; did you mean 'ashcombe'?"]


@pytest.mark.parametrize("name", ["2025-13.yaml", "december.yaml", "2025-12.yml", "2025-1.yaml"])
def test_tree_file_must_be_named_after_a_month(tree: Path, name: str) -> None:
    write(tree, GOOD, f"commentary/ashcombe/{name}")
    assert tree_messages(tree) == [
        f"{tree / 'commentary/ashcombe' / name}: file name is not a month; expected "
        f"YYYY-MM.yaml, such as 2025-12.yaml, found {name!r}"]


@pytest.mark.parametrize("rel", ["commentary/2025-12.yaml",
                                 "commentary/ashcombe/2025/12.yaml"])
def test_tree_files_sit_one_folder_down(tree: Path, rel: str) -> None:
    write(tree, GOOD, rel)
    found = tree_messages(tree)
    assert found[-1] == (
        f"{tree / rel}: not where commentary goes; expected "
        f"commentary/<partnership>/YYYY-MM.yaml, found {rel!r}")


def test_tree_checks_each_file_against_its_own_partnership(tree: Path) -> None:
    # violent-crime is an Ashcombe target, not a Brackenford one
    write(tree, "targets:\n  violent-crime-town-centre: Text.\n",
          "commentary/brackenford/2025-12.yaml")
    write(tree, "targets:\n  violent-crime-town-centre: Text.\n")
    found = tree_messages(tree)
    assert len(found) == 1 and "brackenford/2025-12.yaml, line 2, key targets." in found[0]
    assert "expected one of brackenford's target ids" in found[0]


# --------------------------------------------------------------------------- HTML


def test_commentary_box_has_heading_label_and_markdown() -> None:
    out = commentary_html("**Operation Lantern** began.\n\n- one\n- two", heading="Commentary",
                          label="Commentary on violent crime")
    assert out.startswith('<aside class="commentary" aria-label="Commentary on violent crime">\n'
                          '<h3 class="commentary-heading">Commentary</h3>\n')
    assert "<p><strong>Operation Lantern</strong> began.</p>" in out
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in out
    assert out.endswith("</aside>\n")


def test_blank_text_gives_no_box() -> None:
    assert commentary_html("  \n") == ""


def test_headings_in_the_text_sit_one_level_below_the_box() -> None:
    out = commentary_html("# Big\n\n### Small", level=2)
    assert '<h2 class="commentary-heading">' in out and "<h3>Big</h3>" in out
    assert "<h3>Small</h3>" in out
    with pytest.raises(ValueError, match="level must be 1 to 5"):
        commentary_html("x", level=6)


@pytest.mark.parametrize(("markdown", "shown"), [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('<img src=x onerror="alert(1)">', "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"),
    ("[a](javascript:alert(1))", "<p>a</p>"),
    ("[a](JaVa&#x09;Script:alert(1))", "<p>a</p>"),
    ("<javascript:alert(1)>", "<p>javascript:alert(1)</p>"),
    ("[a](data:text/html,x)", "<p>a</p>"),
    ("![chart](http://example.org/x.png)", "<p>chart</p>"),
    ("[site](https://example.org/a?b=1&c=2)", "<p>site (https://example.org/a?b=1&amp;c=2)</p>"),
    ("[page](violence.html#violent-crime)", '<a href="violence.html#violent-crime">page</a>'),
])
def test_html_in_the_text_is_escaped_and_links_are_limited(markdown: str, shown: str) -> None:
    assert shown in commentary_html(markdown)


def test_heading_and_label_are_escaped() -> None:
    out = commentary_html("x", heading="<b>", label='"><script>')
    assert 'aria-label="&quot;&gt;&lt;script&gt;"' in out and ">&lt;b&gt;</h3>" in out


@pytest.mark.parametrize(("url", "ok"), [
    ("https://example.org", True), ("HTTP://example.org", True), ("page.html", True),
    ("#x", True), ("../x.html", True), ("javascript:x", False), (" javascript:x", False),
    ("jav\nascript:x", False), ("&#106;avascript:x", False), ("mailto:a@b", False),
    ("vbscript:x", False), ("file:///etc/passwd", False),
])
def test_safe_link(url: str, ok: bool) -> None:
    assert safe_link(url) is ok


ALLOWED_TAGS = frozenset({"aside", "h3", "h4", "p", "a", "strong", "em", "code", "pre", "ul",
                          "ol", "li", "blockquote", "br", "hr"})
ALLOWED_ATTRIBUTES = frozenset({"class", "aria-label", "href", "title", "start"})
_TAG = re.compile(r'<(/?)([a-z0-9]+)((?:\s+[a-z-]+="[^"<>]*")*)\s*/?>')
_ATTR = re.compile(r'\s+([a-z-]+)="([^"<>]*)"')
_TRICKY = st.sampled_from([
    "<", ">", "<script>", "</script>", "<SCRIPT", "<img src=x onerror=alert(1)>", "onload=",
    " onclick=\"x\"", "javascript:", "[a](", ")", "](javascript:alert(1))", "<javascript:x>",
    "&#60;", "&lt;", "&#x3C;script", "`", "```\n", "\n", "\n\n", "# ", "- ", "1. ", "> ", "*",
    "**", "_", "![", "<!--", "-->", "<![CDATA[", "<?", "\"", "'", "    ", "\t", "\\", "&",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_TRICKY | st.text(max_size=8), max_size=30).map("".join))
def test_no_text_ever_yields_script_event_handler_or_raw_tag(text: str) -> None:
    out = commentary_html(text)
    assert "<script" not in out.lower()
    for _closing, tag, attrs in _TAG.findall(out):
        assert tag in ALLOWED_TAGS, (text, out)
        for name, value in _ATTR.findall(attrs):
            assert name in ALLOWED_ATTRIBUTES and not name.startswith("on"), (text, out)
            if name == "href":
                assert safe_link(value), (text, out)
    assert "<" not in _TAG.sub("", out), (text, out)
    assert not re.search(r"<[^>]*\son\w*\s*=", out, re.IGNORECASE), (text, out)
