"""The site check's cache: the same problems as a check without it, a changed file
checked again, links across files resolved afresh, and a bad cache file never in the way."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from test_site import GOOD_PAGE, OTHER_PAGE, _with

from cdrp_lib.cli import main
from cdrp_lib.site import check as site_check
from cdrp_lib.site import check_cache, check_cache_file, check_site
from cdrp_lib.site import redact as site_redact

# One page with a problem of every kind the check knows, and links across files that hold.
SNIPPETS = [
    '<a href="https://data.police.uk/">x</a>', '<img src="//cdn.example.org/a.png" alt="a">',
    '<a href="/kettering/index.html">x</a>', '<a href="../outside.html">x</a>',
    '<a href="missing.html">x</a>', '<a href="sub">x</a>', '<a href="#nowhere">x</a>',
    '<a href="other.html#nowhere">x</a>', '<img src="data:image/png;base64,AAAA">',
    "<table><tr><th>h</th></tr></table>", "<h4>deep</h4>", "<h1>second</h1>",
    "<script>alert(1)</script>", '<script src="app.js"></script>',
    "<style>@import 'x.css';</style>",
    '<div style="background: url(https://x.org/bg.png)">x</div>', '<base href="https://x.org/">',
    "<p>see /home/ann/cdrp/outputs for details</p>",
    '<a href="sub/../other.html#t">fine</a>', '<a href="sub/deep/p.html#z">fine</a>',
    '<a href="sub/deep/p.html#q">x</a>', '<a href="sub/deep/">x</a>', '<a href="./">x</a>',
    '<a href=".hidden/x.html">fine</a>', '<a href="../s/other.html">fine</a>',
    '<meta http-equiv="refresh" content="0; url=gone.html">',
]
DEEP_PAGE = (GOOD_PAGE.replace('href="other.html#t"', 'href="../../other.html#t"')
             .replace('id="s"', 'id="z"'))
# The text files of _site's that are checked (not search.js nor the working folder's).
FILES_CHECKED = 7
SEARCH_PAGE = _with('<script src="search.js"></script><script src="pagefind/x.js"></script>')


def _site(root: Path) -> Path:
    site = root / "s"
    files = {"index.html": _with("\n".join(SNIPPETS)), "other.html": OTHER_PAGE,
             "data.csv": "a,b\n1,2\n/home/x/y\n", "sub/deep/p.html": DEEP_PAGE,
             "sub/deep/q.htm": "<html><h2>x</h2><a href='../../index.html#main'>m</a>",
             ".hidden/x.html": "<a href='http://x'>", "search.html": SEARCH_PAGE,
             "search.js": "", "notes.txt": "a\r\nb /home/q/z\rc /tmp/x/y\n"}
    for name, text in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(text.encode())
    return site


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The first lines of the files the check parses (rather than takes from its cache)."""
    seen: list[str] = []
    real = site_check._facts

    def counting(text: str, env: dict[str, Any], is_page: bool) -> dict[str, Any]:
        seen.append(text.split("\n", 1)[0])
        return real(text, env, is_page)

    monkeypatch.setattr(site_check, "_facts", counting)
    yield seen


def test_the_cache_lives_beside_the_site_not_in_it(tmp_path: Path) -> None:
    outputs = tmp_path / "out"
    assert check_cache_file(outputs / "site") == outputs / ".site.check-cache.json"


def test_cached_and_uncached_checks_give_the_same_lines(tmp_path: Path,
                                                       parsed: list[str]) -> None:
    site = _site(tmp_path)
    uncached = check_site(site)
    assert len(uncached) > 30  # every rule above fires; the lines are not all alike
    assert len({line.split(": ")[1] for line in uncached}) >= 15
    parsed.clear()
    cache = tmp_path / "cache.json"
    assert check_site(site, cache_file=cache) == uncached
    assert len(parsed) == FILES_CHECKED
    parsed.clear()
    assert check_site(site, cache_file=cache) == uncached
    assert parsed == []  # every file from the cache
    assert check_site(site, cache_file=cache, allow_scripts=True) == check_site(
        site, allow_scripts=True)


def test_a_changed_file_is_checked_again(tmp_path: Path, parsed: list[str]) -> None:
    site = _site(tmp_path)
    cache = tmp_path / "cache.json"
    before = check_site(site, cache_file=cache)
    (site / "other.html").write_text("<!-- v2 -->\n" + OTHER_PAGE.replace(
        "</main>", "<h4>skipped</h4></main>"), encoding="utf-8")
    parsed.clear()
    after = check_site(site, cache_file=cache)
    assert parsed == ["<!-- v2 -->"]
    new = [line for line in after if line not in before]
    assert new == ["other.html, line 7: heading level skipped: expected h3 or higher after h2, "
                   "found h4"]
    assert after == check_site(site)


def test_links_to_a_removed_target_or_id_are_reported_from_cached_pages(
        tmp_path: Path, parsed: list[str]) -> None:
    site = _site(tmp_path)
    cache = tmp_path / "cache.json"
    before = check_site(site, cache_file=cache)
    (site / "sub" / "deep" / "p.html").write_text(DEEP_PAGE.replace('id="z"', 'id="y"'),
                                                  encoding="utf-8")
    (site / "other.html").unlink()
    parsed.clear()
    after = check_site(site, cache_file=cache)
    assert len(parsed) == 1  # index.html, whose links now fail, was not parsed again
    gone = [re.sub(r", line \d+", "", line) for line in after if line not in before]
    assert gone == [
        "index.html, column '<a>': broken link: expected an existing file, found other.html#t",
        "index.html, column '<a>': broken link: expected an existing file, found "
        "other.html#nowhere",
        "index.html, column '<a>': broken link: expected an existing file, found "
        "sub/../other.html#t",
        "index.html, column '<a>': broken fragment: expected an element with that id in "
        "sub/deep/p.html, found sub/deep/p.html#z",
        "index.html, column '<a>': broken link: expected an existing file, found "
        "../s/other.html",
        "search.html, column '<a>': broken link: expected an existing file, found other.html#t",
        "sub/deep/p.html, column '<a>': broken link: expected an existing file, found "
        "../../other.html#t",
    ]
    assert after == check_site(site)


@pytest.mark.parametrize("damage", [
    lambda p: p.write_bytes(b"\x00\xff{not json"),
    lambda p: p.write_text('{"format": 1, "chec', encoding="utf-8"),
    lambda p: p.write_text("[1, 2, 3]", encoding="utf-8"),
    lambda p: p.mkdir(),
    "wrong shapes",
], ids=["binary", "truncated", "not an object", "a folder", "wrong shapes"])
def test_a_corrupt_or_unreadable_cache_is_ignored_and_rebuilt(
        tmp_path: Path, damage: Callable[[Path], object] | str) -> None:
    site = _site(tmp_path)
    uncached = check_site(site)
    cache = tmp_path / "cache.json"
    if damage == "wrong shapes":  # this checker's own header, entries of another shape
        check_site(site, cache_file=cache)
        document = json.loads(cache.read_text(encoding="utf-8"))
        for key in document["files"]:
            document["files"][key] = ({"leaks": 3, "page": {"links": [[1]]}}
                                      if key.endswith(".page") else ["x"])
        cache.write_text(json.dumps(document), encoding="utf-8")
    else:
        assert callable(damage)
        damage(cache)
    assert check_site(site, cache_file=cache) == uncached
    if not cache.is_dir():
        rebuilt = json.loads(cache.read_text(encoding="utf-8"))
        assert len(rebuilt["files"]) == FILES_CHECKED
        assert check_site(site, cache_file=cache) == uncached


def test_cdrp_publish_keeps_going_past_a_corrupt_cache(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(GOOD_PAGE, encoding="utf-8")
    (site / "other.html").write_text(OTHER_PAGE, encoding="utf-8")
    (site / "data.csv").write_text("a\n", encoding="utf-8")
    check_cache_file(site).write_bytes(b"\x89PNG garbage")
    assert main(["publish", str(tmp_path / "pub"), "--site", str(site)]) == 0
    assert sorted(p.name for p in (tmp_path / "pub").iterdir()) == sorted(
        p.name for p in site.iterdir())
    assert json.loads(check_cache_file(site).read_text(encoding="utf-8"))["files"]
    (site / "other.html").unlink()  # a cached page's link target gone: refused
    assert main(["publish", str(tmp_path / "pub"), "--site", str(site)]) == 1


def test_another_checker_version_or_machine_starts_afresh(
        tmp_path: Path, parsed: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    site = _site(tmp_path)
    (site / "about.txt").write_text("Prepared on cdrp-box42\n", encoding="utf-8")
    cache = tmp_path / "cache.json"
    assert not any("user or host name" in line for line in check_site(site, cache_file=cache))
    with monkeypatch.context() as machine:
        machine.setattr(site_redact.socket, "gethostname", lambda: "cdrp-box42.police.local")
        site_redact._identities.cache_clear()
        found = check_site(site, cache_file=cache)  # the leak rules look for another name
    site_redact._identities.cache_clear()
    assert ("about.txt, line 1: user or host name in page: expected no user or host names, "
            "found cdrp-box42") in found
    check_site(site, cache_file=cache)
    parsed.clear()
    monkeypatch.setattr(check_cache, "checker_digest", lambda: "a changed rule")
    check_site(site, cache_file=cache)
    assert len(parsed) == FILES_CHECKED + 1


def test_links_through_a_symbolic_link_resolve_on_disk(tmp_path: Path) -> None:
    site = tmp_path / "s"
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.html").write_text(OTHER_PAGE, encoding="utf-8")
    (site / "real").mkdir(parents=True)
    (site / "real" / "y.html").write_text(OTHER_PAGE, encoding="utf-8")
    os.symlink(site / "real", site / "alias")
    os.symlink(tmp_path / "elsewhere", site / "out")
    page = _with('<a href="alias/y.html#t">ok</a><a href="alias/z.html">x</a>'
                 '<a href="out/x.html">x</a><a href="alias/../other.html#t">ok</a>')
    (site / "index.html").write_text(page, encoding="utf-8")
    (site / "other.html").write_text(OTHER_PAGE, encoding="utf-8")
    (site / "data.csv").write_text("a\n", encoding="utf-8")
    cache = tmp_path / "cache.json"
    found = check_site(site, cache_file=cache)
    assert [line.split("found ")[1] for line in found] == [
        "alias/z.html", "out/x.html",  # index.html's; then real/y.html's, relative to real/
        "other.html#t", "data.csv"]
    assert check_site(site, cache_file=cache) == found == check_site(site)
