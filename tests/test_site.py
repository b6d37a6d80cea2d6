"""cdrp_lib.site: the index page, atomic publication, the site check, and preview."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell, new_notebook

from cdrp_lib import site as site_mod
from cdrp_lib.cli import main
from cdrp_lib.errors import InputError, NotFoundError
from cdrp_lib.locking import lock_file_beside
from cdrp_lib.render import render_page
from cdrp_lib.site import (
    BulletinEntry,
    check_site,
    make_server,
    one_line_error,
    publish_folder,
    publish_site,
    write_index,
)
from cdrp_lib.site import publish as site_publish
from cdrp_lib.site import redact as site_redact

XSS = "<script>alert(1)</script>"


def _bulletin(site: Path, pid: str, month: str, heading: str = "Summary") -> Path:
    """A real rendered bulletin page at site/<pid>/<month>/index.html."""
    nb = site.parent / "runs" / pid / month / "summary.ipynb"
    nb.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(cells=[new_markdown_cell(f"# {heading}\n\nText.")]), nb)
    return render_page(nb, site / pid / month / "index.html", title=heading,
                       nav=[("All bulletins", "../../index.html")]).path


def _entries() -> list[BulletinEntry]:
    return [
        BulletinEntry("kettering", "Kettering", "2025-02", "ok",
                      {"G": 3, "A": 1, "R": 2, "none": 1}),
        BulletinEntry("corby", "Corby", "2025-03", "ok", {"G": 5}, synthetic=True),
        BulletinEntry("kettering", "Kettering", "2025-03", "ok", {"G": 2, "R": 4}),
        BulletinEntry("wellingborough", "Wellingborough", "2025-03", "failed", {},
                      error="PapermillExecutionError:\n  File /home/ann/runs/x.ipynb line 3\n"
                            "ValueError: <b>no data</b>"),
        BulletinEntry("abc", XSS, "2025-03", "ok", {"A": 1}),
    ]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    for b in _entries():
        if b.status == "ok":
            _bulletin(site, b.partnership_id, b.month)
    write_index(site, _entries())
    return site


# ------------------------------------------------------------------------ index


def test_index_lists_months_latest_first_and_partnerships_by_name(site: Path) -> None:
    html = (site / "index.html").read_text(encoding="utf-8")
    assert html.index("<h2 id=\"month-2025-03\">March 2025</h2>") < html.index(
        "<h2 id=\"month-2025-02\">February 2025</h2>")
    march = html[html.index("March 2025</h2>"): html.index("February 2025</h2>")]
    names = re.findall(r'<th scope="row">(?:<a href="[^"]*">)?([^<]+)', march)
    assert names == ["&lt;script&gt;alert(1)&lt;/script&gt;", "Corby", "Kettering",
                     "Wellingborough"]


def test_index_links_are_relative_and_resolve(site: Path) -> None:
    html = (site / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+)"', html)
    assert "kettering/2025-03/index.html" in links and "corby/2025-03/index.html" in links
    assert check_site(site) == []


def test_index_gives_rag_counts_as_letters_words_and_numbers(site: Path) -> None:
    html = (site / "index.html").read_text(encoding="utf-8")
    for label in ("G Green", "A Amber", "R Red", "Not assessed"):
        assert f">{label}</th>" in html
    row = next(r for r in html.split("<tr>") if "kettering/2025-02" in r)
    counts = re.findall(r'<td class="num rag-(\w+)">(\d+)</td>', row)
    assert counts == [("G", "3"), ("A", "1"), ("R", "2"), ("none", "1")]


def test_partnership_name_from_params_renders_as_text(site: Path) -> None:
    html = (site / "index.html").read_text(encoding="utf-8")
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html


def test_failed_bulletin_shows_its_error_escaped_on_one_line_without_paths(site: Path) -> None:
    html = (site / "index.html").read_text(encoding="utf-8")
    row = next(r for r in html.split("<tr>") if "Wellingborough" in r)
    assert '<span class="status-failed">Failed:</span>' in row
    assert ("PapermillExecutionError: File x.ipynb line 3 ValueError: "
            "&lt;b&gt;no data&lt;/b&gt;") in row
    assert "/home/ann" not in html
    assert "<a href" not in row  # no previous version to link to
    assert "not available" in row


def test_failed_bulletin_links_the_previous_version_when_one_exists(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _bulletin(site, "corby", "2025-03")
    write_index(site, [BulletinEntry("corby", "Corby", "2025-03", "failed", error="boom")])
    html = (site / "index.html").read_text(encoding="utf-8")
    assert '<a href="corby/2025-03/index.html">Corby</a>' in html
    assert "previous version" in html
    assert check_site(site) == []


def test_synthetic_bulletins_are_marked(site: Path) -> None:
    html = (site / "index.html").read_text(encoding="utf-8")
    row = next(r for r in html.split("<tr>") if "Corby" in r)
    assert '<span class="synthetic">Synthetic data</span>' in row
    assert "made-up demonstration data" in html


def test_empty_index_is_a_valid_page(tmp_path: Path) -> None:
    write_index(tmp_path, [])
    assert "No bulletins have been published yet." in (tmp_path / "index.html").read_text(
        encoding="utf-8")
    assert check_site(tmp_path) == []


def test_bad_entries_are_all_reported_with_row_and_column(tmp_path: Path) -> None:
    bad = [
        BulletinEntry("../etc", "X", "2025-03", "ok"),
        BulletinEntry("ok-id", " ", "March", "done", {"X": 1, "G": -1}),
        BulletinEntry("dup", "Dup", "2025-01", "ok"),
        BulletinEntry("dup", "Dup", "2025-01", "ok"),
    ]
    with pytest.raises(InputError) as caught:
        write_index(tmp_path, bad)
    found = {(p.line, p.column, p.rule) for p in caught.value.problems}
    assert found == {
        (1, "partnership_id", "not a safe folder name"),
        (2, "partnership_name", "empty name"),
        (2, "month", "not a month"),
        (2, "status", "unknown status"),
        (2, "rag_counts", "unknown RAG code"),
        (2, "rag_counts[G]", "not a count"),
        (4, "partnership_id", "duplicate bulletin"),
    }
    assert not (tmp_path / "index.html").exists()


# -------------------------------------------------------------- one_line_error


def test_one_line_error_strips_paths_and_collapses_lines() -> None:
    text = one_line_error(
        "Traceback:\n  File \"/srv/cdrp/outputs/runs/k/2025-03/violence.ipynb\", line 4\n"
        "  C:\\Users\\ann\\data\\crimes.csv missing; see file:///tmp/x/report.html\n"
        "KeyError: 'month'"
    )
    assert text == ("Traceback: File \"violence.ipynb\", line 4 crimes.csv missing; "
                    "see report.html KeyError: 'month'")


def test_one_line_error_keeps_ordinary_slashes() -> None:
    assert one_line_error("rate 3/4 in 2024/25, a / b") == "rate 3/4 in 2024/25, a / b"


def test_one_line_error_is_cut_to_length() -> None:
    text = one_line_error("x" * 1000)
    assert len(text) == site_mod.ERROR_MAX_CHARS and text.endswith("…")


@pytest.fixture
def identity(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Pretend to be user alice.smith on host cdrp-box42.police.local."""
    monkeypatch.setattr(site_redact.getpass, "getuser", lambda: "alice.smith")
    monkeypatch.setattr(site_redact.socket, "gethostname", lambda: "cdrp-box42.police.local")
    site_redact._identities.cache_clear()
    yield
    site_redact._identities.cache_clear()


@pytest.mark.usefixtures("identity")
def test_one_line_error_redacts_user_and_host_names() -> None:
    assert one_line_error("login alice.smith failed on CDRP-BOX42") == (
        "login [redacted] failed on [redacted]")


def test_generic_account_names_are_not_identities(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(site_redact.getpass, "getuser", lambda: "root")
    monkeypatch.setattr(site_redact.socket, "gethostname", lambda: "localhost")
    site_redact._identities.cache_clear()
    try:
        assert one_line_error("the root cause") == "the root cause"
    finally:
        site_redact._identities.cache_clear()


# ----------------------------------------------------------------- publish_folder


def _folder(path: Path, **files: str) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (path / name).write_text(text, encoding="utf-8")
    return path


def test_publish_folder_creates_then_replaces(tmp_path: Path) -> None:
    final = tmp_path / "site" / "kettering" / "2025-03"
    publish_folder(_folder(tmp_path / "v1", **{"index.html": "one", "old.html": "x"}), final)
    assert (final / "index.html").read_text(encoding="utf-8") == "one"
    new = _folder(tmp_path / "v2", **{"index.html": "two"})
    assert publish_folder(new, final, required=["index.html"]) == final
    assert sorted(p.name for p in final.iterdir()) == ["index.html"]
    assert (final / "index.html").read_text(encoding="utf-8") == "two"
    assert sorted(p.name for p in final.parent.iterdir()) == ["2025-03"]  # nothing left over
    assert (new / "index.html").read_text(encoding="utf-8") == "two"  # input untouched


def test_publish_folder_without_atomic_exchange_also_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(site_publish, "_exchange", lambda a, b: False)
    final = tmp_path / "out" / "b"
    publish_folder(_folder(tmp_path / "v1", **{"index.html": "one"}), final)
    publish_folder(_folder(tmp_path / "v2", **{"index.html": "two"}), final)
    assert (final / "index.html").read_text(encoding="utf-8") == "two"
    assert sorted(p.name for p in final.parent.iterdir()) == ["b"]


def test_atomic_exchange_swaps_two_folders(tmp_path: Path) -> None:
    a = _folder(tmp_path / "a", **{"f": "a"})
    b = _folder(tmp_path / "b", **{"f": "b"})
    if not site_publish._exchange(a, b):
        pytest.skip("renameat2(RENAME_EXCHANGE) is not available on this system")
    assert (a / "f").read_text(encoding="utf-8") == "b"
    assert (b / "f").read_text(encoding="utf-8") == "a"


def test_incomplete_bulletin_is_not_published(tmp_path: Path) -> None:
    final = _folder(tmp_path / "final", **{"index.html": "good old"})
    new = _folder(tmp_path / "new", **{"violence.html": "half"})
    with pytest.raises(InputError, match=r"missing index\.html, asb\.html"):
        publish_folder(new, final, required=["index.html", "asb.html"])
    assert (final / "index.html").read_text(encoding="utf-8") == "good old"
    with pytest.raises(NotFoundError, match="no such folder"):
        publish_folder(tmp_path / "absent", final)


def test_old_folder_stays_in_place_while_the_new_one_is_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    final = _folder(tmp_path / "final", **{"index.html": "old"})
    real_copytree = shutil.copytree
    seen_during_copy: list[str] = []

    def watching_copytree(src: Path, dst: Path, **kw: object) -> Path:
        seen_during_copy.append((final / "index.html").read_text(encoding="utf-8"))
        result: Path = real_copytree(src, dst, **kw)  # type: ignore[arg-type]
        seen_during_copy.append((final / "index.html").read_text(encoding="utf-8"))
        return result

    monkeypatch.setattr(site_publish.shutil, "copytree", watching_copytree)
    publish_folder(_folder(tmp_path / "new", **{"index.html": "new"}), final)
    assert seen_during_copy == ["old", "old"]
    assert (final / "index.html").read_text(encoding="utf-8") == "new"


def test_failed_copy_leaves_the_old_folder_and_no_staging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    final = _folder(tmp_path / "pub" / "final", **{"index.html": "old"})
    real_copytree = shutil.copytree
    calls = {"n": 0}

    def failing_copy2(src: str, dst: str) -> object:
        calls["n"] += 1
        if calls["n"] == 2:  # the disk fills up half-way through the copy
            raise OSError(28, "No space left on device")
        return shutil.copy2(src, dst)

    def copytree(src: Path, dst: Path, **kw: object) -> object:
        return real_copytree(src, dst, copy_function=failing_copy2, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(site_publish.shutil, "copytree", copytree)
    new = _folder(tmp_path / "new", **{"a.html": "1", "b.html": "2", "index.html": "3"})
    with pytest.raises(shutil.Error):
        publish_folder(new, final)
    assert sorted(p.name for p in (tmp_path / "pub").iterdir()) == ["final"]
    assert sorted(p.name for p in final.iterdir()) == ["index.html"]
    assert (final / "index.html").read_text(encoding="utf-8") == "old"


def test_failed_swap_puts_the_old_folder_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(site_publish, "_exchange", lambda a, b: False)
    final = _folder(tmp_path / "pub" / "final", **{"index.html": "old"})
    real_rename = os.rename

    def rename(src: Path, dst: Path) -> None:
        if Path(src).name.startswith(".final.staging-"):
            raise OSError(13, "Permission denied")
        real_rename(src, dst)

    monkeypatch.setattr(site_publish.os, "rename", rename)
    with pytest.raises(OSError, match="Permission denied"):
        publish_folder(_folder(tmp_path / "new", **{"index.html": "new"}), final)
    assert sorted(p.name for p in (tmp_path / "pub").iterdir()) == ["final"]
    assert (final / "index.html").read_text(encoding="utf-8") == "old"


# ------------------------------------------------------------------- publish_site


def test_publish_site_copies_and_keeps_the_previous_publication(site: Path,
                                                               tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    dest = share / "csp"
    (site / ".kettering.staging-1").mkdir()  # a working folder left by a crash
    (site / "index.html.tmp").write_text("junk", encoding="utf-8")
    (site / ".cdrp.lock").write_text("{}", encoding="utf-8")
    publish_site(site, dest)
    assert (dest / "index.html").read_bytes() == (site / "index.html").read_bytes()
    assert (dest / "kettering" / "2025-03" / "index.html").is_file()
    assert not (dest / ".kettering.staging-1").exists() and not (dest / "index.html.tmp").exists()
    assert not (dest / ".cdrp.lock").exists()
    assert check_site(dest) == []

    write_index(site, _entries()[:1])
    publish_site(site, dest)
    assert (dest / "index.html").read_bytes() == (site / "index.html").read_bytes()
    previous = share / "csp.previous"
    assert "Wellingborough" in (previous / "index.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in share.iterdir()) == ["csp", "csp.previous"]  # no lock file


def test_publish_site_failure_leaves_dest_unchanged(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = _folder(tmp_path / "share" / "csp", **{"index.html": "live"})

    def broken_swap(staging: Path, final: Path, previous: Path | None) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(site_publish, "_swap_in", broken_swap)
    with pytest.raises(OSError, match="Input/output error"):
        publish_site(site, dest)
    assert sorted(p.name for p in dest.parent.iterdir()) == ["csp"]
    assert (dest / "index.html").read_text(encoding="utf-8") == "live"


def test_publish_site_refuses_unsafe_destinations(site: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="outside the site folder"):
        publish_site(site, site / "copy")
    with pytest.raises(ValueError, match="outside the site folder"):
        publish_site(site, site.parent)
    with pytest.raises(NotFoundError, match="folder does not exist"):
        publish_site(site, tmp_path / "no" / "such" / "share")
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    with pytest.raises(ValueError, match="not a folder"):
        publish_site(site, tmp_path / "afile")
    with pytest.raises(NotFoundError, match=r"index\.html missing"):
        publish_site(tmp_path / "empty-site", tmp_path / "dest")


# --------------------------------------------------------------------- check_site


GOOD_PAGE = """<!DOCTYPE html><html lang="en-GB"><head><title>T</title></head><body>
<main id="main"><h1>T</h1><h2 id="s">S</h2><h3>x</h3><h2>U</h2>
<img src="data:image/png;base64,AAAA" alt="Chart: falling">
<table><caption>C</caption><tr><th>h</th></tr><tr><td>1</td></tr></table>
<a href="#s">s</a> <a href="other.html#t">t</a> <a href="data.csv" download>CSV</a>
</main></body></html>
"""
OTHER_PAGE = GOOD_PAGE.replace('id="s"', 'id="t"').replace('href="#s"', 'href="#t"')


def _check(tmp_path: Path, body: str | None = None, **extra: str) -> list[str]:
    site = tmp_path / "s"
    files = {"index.html": GOOD_PAGE if body is None else body,
             "other.html": OTHER_PAGE, "data.csv": "a,b\n1,2\n",
             **extra}
    for name, text in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text, encoding="utf-8")
    return check_site(site)


def _with(snippet: str) -> str:
    return GOOD_PAGE.replace("</main>", snippet + "\n</main>")


def test_a_good_site_has_no_problems(tmp_path: Path) -> None:
    assert _check(tmp_path) == []


@pytest.mark.parametrize(("snippet", "expected"), [
    ('<a href="https://data.police.uk/">x</a>', "link outside the site"),
    ('<a href="http://example.org/">x</a>', "link outside the site"),
    ('<img src="//cdn.example.org/a.png" alt="a">', "link outside the site"),
    ('<a href="file:///etc/passwd">x</a>', "link outside the site"),
    ('<a href="mailto:someone@example.org">x</a>', "link outside the site"),
    ('<a href="/kettering/index.html">x</a>', "absolute link"),
    ('<a href="../outside.html">x</a>', "link outside the site"),
    ('<a href="missing.html">x</a>', "broken link"),
    ('<a href="sub">x</a>', "link to a folder"),
    ('<a href="#nowhere">x</a>', "broken fragment"),
    ('<a href="other.html#nowhere">x</a>', "broken fragment"),
    ('<img src="data:image/png;base64,AAAA">', "image without alt text"),
    ('<img src="data:image/png;base64,AAAA" alt=" ">', "image without alt text"),
    ("<table><tr><th>h</th></tr></table>", "table without caption"),
    ("<table><caption>c</caption><tr><td>1</td></tr></table>", "table without header cells"),
    ("<h4>deep</h4>", "heading level skipped"),
    ("<h1>second</h1>", "not exactly one h1"),
    ("<script>alert(1)</script>", "script in page"),
    ('<script src="app.js"></script>', "script in page"),
    ("<style>@import 'x.css';</style>", "CSS @import"),
    ('<div style="background: url(https://x.org/bg.png)">x</div>', "link outside the site"),
    ('<base href="https://x.org/">', "<base> element"),
    ("<p>see /home/ann/cdrp/outputs for details</p>", "absolute path in page"),
    ("<p>C:\\Users\\ann\\bulletin.docx</p>", "absolute path in page"),
])
def test_each_site_rule_fires(tmp_path: Path, snippet: str, expected: str) -> None:
    (tmp_path / "s" / "sub").mkdir(parents=True)
    problems = _check(tmp_path, _with(snippet))
    assert any(f": {expected}: " in p for p in problems), problems
    assert all(p.startswith("index.html") for p in problems), problems


def test_problems_name_file_line_and_element(tmp_path: Path) -> None:
    problems = _check(tmp_path, _with('<a href="https://x.org/">x</a>'))
    assert problems == ["index.html, line 6, column '<a>': link outside the site: expected a "
                        "relative link inside the site, found https://x.org/"]


def test_first_heading_must_be_h1_and_page_needs_lang_and_title(tmp_path: Path) -> None:
    page = "<!DOCTYPE html><html><head></head><body><h2>x</h2></body></html>"
    rules = {p.split(": ")[1] for p in _check(tmp_path, page)}
    assert {"page language missing", "page title missing", "not exactly one h1",
            "heading level skipped"} <= rules


def test_the_sites_own_path_is_a_leak(tmp_path: Path) -> None:
    site = tmp_path / "s"
    problems = _check(tmp_path, _with(f"<p>{site.resolve()}/index.html</p>"))
    assert any("absolute path in page" in p and str(site.resolve()) in p for p in problems)


def test_paths_in_published_data_files_are_leaks(tmp_path: Path) -> None:
    problems = _check(tmp_path, **{"k/figures.json": '{"source": "/home/ann/raw/x.csv"}'})
    assert problems and problems[0].startswith("k/figures.json, line 1: absolute path in page")


@pytest.mark.usefixtures("identity")
def test_user_and_host_names_are_leaks(tmp_path: Path) -> None:
    problems = _check(tmp_path, _with("<p>Prepared by Alice.Smith on cdrp-box42</p>"))
    found = sorted(p.rsplit("found ", 1)[1] for p in problems)
    assert found == ["alice.smith", "cdrp-box42"]


def test_base64_images_are_not_searched_for_leaks(tmp_path: Path) -> None:
    fake = "data:image/png;base64,AAAA/home/ann/AAAA"
    assert _check(tmp_path, _with(f'<img src="{fake}" alt="x">')) == []


def test_working_files_are_not_checked(tmp_path: Path) -> None:
    assert _check(tmp_path, **{".k.staging-1/index.html": "<p>half</p>",
                               "x.html.tmp": "<a href='http://x'>",
                               ".cdrp.lock": f'{{"command": "cdrp run {tmp_path}"}}'}) == []


def test_scripts_can_be_allowed_for_quarto_pages(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "index.html").write_text(_with("<script>var x = 1;</script>"),
                                               encoding="utf-8")
    (tmp_path / "s" / "other.html").write_text(OTHER_PAGE, encoding="utf-8")
    (tmp_path / "s" / "data.csv").write_text("a\n", encoding="utf-8")
    assert check_site(tmp_path / "s", allow_scripts=True) == []
    assert check_site(tmp_path / "s") != []


def test_missing_site_is_one_problem(tmp_path: Path) -> None:
    assert check_site(tmp_path / "none") == [
        f"{tmp_path / 'none'}: site folder missing: expected a folder, found nothing"]


# ------------------------------------------------------------------- CLI commands


def test_cdrp_publish_refuses_a_site_with_problems(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site"
    write_index(site, [])
    (site / "bad.html").write_text(_with('<a href="https://x.org">x</a>'), encoding="utf-8")
    dest = tmp_path / "pub"
    assert main(["publish", str(dest), "--site", str(site)]) == 1
    err = capsys.readouterr().err
    assert "bad.html" in err and "nothing published" in err
    assert not dest.exists()
    assert main(["publish", str(dest), "--site", str(site), "--no-check"]) == 0
    assert (dest / "bad.html").is_file()


def test_cdrp_publish_reports_what_it_did(site: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "pub"
    assert main(["publish", str(dest), "--site", str(site)]) == 0
    assert main(["publish", str(dest), "--site", str(site)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"Published 5 files to {dest}")
    assert out[1].endswith("the previous publication is kept as pub.previous")


@pytest.mark.timeout(120)
def test_cdrp_publish_refuses_while_another_publishes_to_dest(
        site: Path, tmp_path: Path, hold_lock: Callable[[Path, str], subprocess.Popen[str]],
        capsys: pytest.CaptureFixture[str]) -> None:
    dest = _folder(tmp_path / "share" / "csp", **{"index.html": "live"})
    child = hold_lock(lock_file_beside(dest), "cdrp publish")
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in dest.parent.rglob("*")
              if p.is_file()}

    assert main(["publish", str(dest), "--site", str(site)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith(f"cdrp publish: error: {dest}/ is in use by another cdrp publish "
                          f"(pid {child.pid} on host ")
    assert err.endswith("; wait for it to finish\n")
    assert sorted(p.name for p in dest.parent.iterdir()) == [".csp.cdrp.lock", "csp"]
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in dest.parent.rglob("*")
            if p.is_file()} == before


def test_cdrp_publish_missing_site_is_a_one_line_error(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["publish", str(tmp_path / "d"), "--site", str(tmp_path / "x"), "--no-check"]) == 2
    assert "index.html missing" in capsys.readouterr().err


def test_preview_server_serves_the_site(site: Path) -> None:
    server = make_server(site, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=10) as reply:
            assert reply.status == 200
            assert b"Community Safety Partnership performance bulletins" in reply.read()
    finally:
        server.shutdown()
        server.server_close()


def test_preview_needs_a_site_folder(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no site folder"):
        make_server(tmp_path / "nope")


def test_cdrp_serve_options_default_to_this_machine_only() -> None:
    from cdrp_lib.cli import build_parser

    args = build_parser().parse_args(["serve"])
    assert (args.site, args.port, args.bind) == (Path("outputs/site"), 8000, "127.0.0.1")
