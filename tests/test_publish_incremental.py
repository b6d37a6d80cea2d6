"""Publishing again writes only what changed: unchanged files are hard-linked from the
publication being replaced, changed ones copied, and a share without hard links gets copies."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cdrp_lib.site import publish as site_publish
from cdrp_lib.site import publish_site


def _site(root: Path) -> Path:
    site = root / "site"
    for name, text in {"index.html": "index v1", "a/2025-12/page.html": "page v1",
                       "a/2025-12/data.csv": "x\n1\n"}.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text, encoding="utf-8")
    return site


def _texts(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_unchanged_files_are_linked_and_changed_ones_copied(tmp_path: Path) -> None:
    site = _site(tmp_path)
    dest = tmp_path / "share" / "csp"
    dest.parent.mkdir()
    publish_site(site, dest)
    first = {rel: (dest / rel).stat().st_ino for rel in _texts(dest)}
    page = site / "a" / "2025-12" / "page.html"
    written = page.stat().st_mtime_ns
    page.write_text("page v2", encoding="utf-8")  # the same size, written later:
    os.utime(page, ns=(written, written + 10**7))  # later than the clock's tick, whatever it is
    (site / "b" / "2025-12").mkdir(parents=True)
    (site / "b" / "2025-12" / "page.html").write_text("new", encoding="utf-8")

    publish_site(site, dest)
    assert _texts(dest) == _texts(site)
    previous = dest.with_name("csp.previous")
    assert _texts(previous)["a/2025-12/page.html"] == "page v1"  # the old copy untouched
    assert (dest / "index.html").stat().st_ino == first["index.html"]
    assert (dest / "a" / "2025-12" / "data.csv").stat().st_ino == first["a/2025-12/data.csv"]
    assert (dest / "a" / "2025-12" / "page.html").stat().st_ino != first["a/2025-12/page.html"]
    assert (dest / "index.html").stat().st_ino != (site / "index.html").stat().st_ino

    os.chmod(site / "index.html", 0o600)  # a new mode is a change too
    publish_site(site, dest)
    assert (dest / "index.html").stat().st_ino != first["index.html"]
    assert _texts(dest.with_name("csp.previous")) == _texts(site)


def test_a_share_without_hard_links_gets_copies(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    tried: list[str] = []

    def no_links(src: str, dst: str) -> None:
        tried.append(dst)
        raise OSError(1, "Operation not permitted")

    site = _site(tmp_path)
    dest = tmp_path / "csp"
    publish_site(site, dest)
    monkeypatch.setattr(site_publish.os, "link", no_links)
    (site / "index.html").write_text("index v2", encoding="utf-8")
    publish_site(site, dest)
    assert _texts(dest) == _texts(site)
    assert len(tried) == 1  # the first failure turns linking off for the rest of the copy
    inodes = {(dest / rel).stat().st_ino for rel in _texts(dest)}
    assert not inodes & {(dest.with_name("csp.previous") / rel).stat().st_ino
                         for rel in _texts(dest)}
