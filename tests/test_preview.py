"""``cdrp preview``: one page made exactly as ``cdrp run`` publishes it, in a temporary folder."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DEMO_MONTH, DEMO_PRODUCED_ON, PROJECT, DemoSite
from test_batch import make_project

from cdrp_lib.cli import main


def _preview(path_line: str) -> Path:
    page = Path(path_line.strip())
    assert page.is_absolute() and page.is_file(), path_line
    return page


def _links_resolve(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    for href in re.findall(r'href="(data/[^"]+)"', html):
        assert (page.parent / href).is_file(), href


@pytest.mark.slow
def test_preview_prints_the_page_as_the_batch_publishes_it(
        demo_site: DemoSite) -> None:
    demo = demo_site.demo
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDRP_")}
    done = subprocess.run(
        [sys.executable, "-m", "cdrp_lib", "preview", "--partnership", "ashcombe", "--month",
         DEMO_MONTH, "--theme", "violence", "--store", str(demo.store), "--params",
         str(demo.params), "--produced-on", DEMO_PRODUCED_ON],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("\n") == 1
    page = _preview(done.stdout)
    try:
        assert page.name == "violence.html"
        assert page.parent.parts[-2:] == ("ashcombe", DEMO_MONTH)
        published = demo_site.site / "ashcombe" / DEMO_MONTH / "violence.html"
        assert demo_site.returncode == 0, demo_site.stderr[-3000:]
        assert page.read_bytes() == published.read_bytes()  # same template, nav and content
        _links_resolve(page)
    finally:
        shutil.rmtree(page.parents[3], ignore_errors=True)


@pytest.mark.slow
def test_preview_of_one_page_in_a_project(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    s = make_project(tmp_path / "project")
    argv = ["preview", "--store", str(s.store), "--params", str(s.params_dir),
            "--notebooks", str(s.notebooks_dir), "--partnership", "calder-vale",
            "--month", "latest", "--theme", "violence", "--produced-on", s.produced_on]
    assert main(argv) == 0
    out, _ = capsys.readouterr()
    page = _preview(out)
    try:
        html = page.read_text(encoding="utf-8")
        assert "Calder Vale &lt;b&gt;&amp;&lt;/b&gt;: Violence, December 2025" in html
        assert '<a href="index.html">Summary</a>' in html
        assert '<a aria-current="page" href="violence.html">Violence</a>' in html
        _links_resolve(page)
        assert (page.parent / "data" / "violence.csv").is_file()
        assert not s.outputs_dir.exists()  # the project's outputs are untouched
    finally:
        shutil.rmtree(page.parents[3], ignore_errors=True)


def test_preview_reports_a_bad_request_as_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = make_project(tmp_path / "project")
    argv = ["preview", "--store", str(s.store), "--params", str(s.params_dir),
            "--notebooks", str(s.notebooks_dir), "--partnership", "nowhere",
            "--month", "2025-12", "--theme", "asb"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("cdrp preview: error:") and err.count("\n") == 1
    assert "unknown partnership" in err and "notebook missing" in err
