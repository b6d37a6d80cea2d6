"""The batch on a partnership with a theme list of its own (issue 11), real Papermill.

On the SYNTHETIC demo store, Ashcombe's params are given the plan's own themes: one theme
with no notebook (made by the generic notebooks/theme.ipynb, parameterised by its id) and
one made with `cdrp new-theme --partnership ashcombe` (a notebook of its own, from the
template); its targets default to the first, one target names the second, and an outcome is
assessed as another.  `run_batch` makes the bulletin with real kernels; the pages, their
navigation, the front page's executive summary, the input keys and a chromium screenshot
of the new summary are checked.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import DEMO_MONTH, Demo

from cdrp_lib.batch import BatchSettings, JobStatus, is_current, plan_jobs, run_batch
from cdrp_lib.cli.new_theme import add_theme

PROJECT = Path(__file__).resolve().parents[1]
PRODUCED_ON = "2026-01-15"
SCREENSHOT = "summary-by-theme.png"


def _insert_after(path: Path, line: str, text: str) -> None:
    body = path.read_text(encoding="utf-8")
    assert line in body, f"{line!r} not in {path}"
    path.write_text(body.replace(line, line + text, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def plan_site(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> BatchSettings:
    """Ashcombe's bulletin made with its own theme list; the batch's settings."""
    root = tmp_path_factory.mktemp("plan-themes")
    params = root / "params"
    shutil.copytree(demo.params, params)
    notebooks = root / "notebooks"
    shutil.copytree(PROJECT / "notebooks", notebooks)
    own = params / "partnerships" / "ashcombe.yaml"
    # Ashcombe's own list (the demo's, with its partner agencies' page) becomes this plan's;
    # the partner targets go to the targets' default theme.
    body, n = re.subn(r"\nthemes:\n(?:  - .*\n)+", "\nthemes:\n  - {id: community-safety, "
                      "title: Community safety and the night-time economy, short_title: "
                      "Community safety}\n", own.read_text(encoding="utf-8"))
    assert n == 1
    own.write_text(body.replace("    theme: partners\n", ""), encoding="utf-8")
    _insert_after(own, "target_defaults:\n", "  theme: community-safety\n")
    _insert_after(own, "  V1: Reduce violence, including in the night-time economy\n",
                  "  V9: {title: Safer nights out, same_as: V1}\n")
    # Violence's outcome gains vehicle crime (rated R) and burglary (G): with its own two
    # green targets the mean score is 1.5, so the outcome is rated G/A (split evenly).
    body = own.read_text(encoding="utf-8")
    for target in ("vehicle-crime", "burglary"):
        body, n = re.subn(rf"(- id: {target}\n(?:    .*\n)*?    outcome: )A1", r"\1V1", body)
        assert n == 1, target
    own.write_text(body, encoding="utf-8")
    add_theme(params, notebooks, "youth", "Young people", partnership="ashcombe")
    _insert_after(own, "  - id: all-crime\n", "    theme: youth\n")
    commentary = params / "commentary" / "ashcombe" / f"{DEMO_MONTH}.yaml"
    text = commentary.read_text(encoding="utf-8")
    commentary.write_text(text.replace("  violence: |", "  youth: |"), encoding="utf-8")
    settings = BatchSettings(store=demo.store, params_dir=params, notebooks_dir=notebooks,
                             outputs_dir=root / "outputs", project_root=PROJECT,
                             produced_on=PRODUCED_ON)
    report = run_batch(settings, month=DEMO_MONTH, partnerships=["ashcombe"])
    (result,) = report.results
    assert result.status is JobStatus.OK, result.error
    return settings


def _page(s: BatchSettings, name: str) -> str:
    return (s.site_dir / "ashcombe" / DEMO_MONTH / name).read_text(encoding="utf-8")


@pytest.mark.slow
def test_one_page_per_theme_of_the_partnerships_list(plan_site: BatchSettings) -> None:
    folder = plan_site.site_dir / "ashcombe" / DEMO_MONTH
    record = json.loads((folder / "bulletin.json").read_text(encoding="utf-8"))
    assert record["themes"] == ["summary", "community-safety", "youth"]
    assert sorted(p.name for p in folder.glob("*.html")) == [
        "community-safety.html", "index.html", "youth.html"]
    runs = plan_site.runs_dir / "ashcombe" / DEMO_MONTH
    generic = json.loads((runs / "community-safety.ipynb").read_text(encoding="utf-8"))
    injected = [c for c in generic["cells"] if "injected-parameters" in c["metadata"].get(
        "tags", [])]
    assert 'theme = "community-safety"' in "".join(injected[0]["source"])
    for name, title in (("community-safety.html",
                         "Community safety and the night-time economy"),
                        ("youth.html", "Young people")):
        html = _page(plan_site, name)
        assert re.search(rf"<h1[^>]*>{re.escape(title)}: Ashcombe", html), name
        assert '<a href="index.html">Summary</a>' in html
        assert '<a href="community-safety.html">Community safety</a>' in html or \
            'aria-current="page" href="community-safety.html">Community safety</a>' in html
        assert "youth.html\">Young people</a>" in html
        assert "violence.html" not in html
    youth = _page(plan_site, "youth.html")
    assert "Reduce all recorded crime by 5%" in youth  # the target that names the theme
    assert "Operation Lantern" in youth  # commentary keyed by the partnership's theme id
    safety = _page(plan_site, "community-safety.html")
    assert "Reduce violence and sexual offences by 3%" in safety  # the targets' default
    figures = json.loads((folder / "figures.json").read_text(encoding="utf-8"))
    assert {d["theme"] for d in figures if d.get("target_id")} == {"community-safety", "youth"}
    # Measures without a target whose theme is no page here are on the front page.
    monitored = {d["theme"] for d in figures if not d.get("target_id")}
    assert monitored and not monitored & {"community-safety", "youth"}
    assert "robbery" in {d["measure"] for d in figures if not d.get("target_id")}


@pytest.mark.slow
def test_the_summary_groups_outcomes_by_the_partnerships_themes(
        plan_site: BatchSettings) -> None:
    html = _page(plan_site, "index.html")
    safety = html.index("Community safety and the night-time economy: outcomes and ratings")
    youth = html.index("Young people: outcomes and ratings")
    v1, v9 = html.index("V1: Reduce violence"), html.index("V9: Safer nights out")
    s1 = html.index("S1: Reduce overall crime")
    # the themes in the list's order; each outcome in its theme's table, in params order
    assert safety < v1 < v9 < youth < s1
    assert "Performance assessment is the same as V1 (see above)." in html
    row = html[v1:v9]
    assert 'class="rag-GA">G/A Green/Amber' in row and "(G/A): its measures are split" in row
    shared = html[v9:html.index("</tr>", v9)]
    assert 'class="rag-GA">G/A Green/Amber' in shared


@pytest.mark.slow
def test_input_keys_hold_the_theme_list(plan_site: BatchSettings) -> None:
    (job,) = plan_jobs(plan_site, month=DEMO_MONTH, partnerships=["ashcombe"])
    assert job.page_ids == ("summary", "community-safety", "youth")
    assert [p.notebook for p in job.pages] == ["summary", "theme", "youth"]
    inputs = dict(job.inputs)
    assert {"themes", "notebook:community-safety", "notebook:youth"} <= set(inputs)
    assert is_current(job)
    own = plan_site.params_dir / "partnerships" / "ashcombe.yaml"
    before = own.read_text(encoding="utf-8")
    try:
        own.write_text(before.replace("short_title: Community safety}",
                                      "short_title: Safety}"), encoding="utf-8")
        (changed,) = plan_jobs(plan_site, month=DEMO_MONTH, partnerships=["ashcombe"])
        assert dict(changed.inputs)["themes"] != inputs["themes"]
        assert not is_current(changed)
        from cdrp_lib.batch.manifest import published_records
        from cdrp_lib.batch.plan import read_store_facts
        from cdrp_lib.batch.stale import stale_bulletins

        stale = stale_bulletins(plan_site, read_store_facts(plan_site.store),
                                published_records(plan_site.site_dir), {})
        assert [(s.partnership, s.changed) for s in stale] == [("ashcombe", ("params",))]
    finally:
        own.write_text(before, encoding="utf-8")


@pytest.mark.slow
@pytest.mark.browser
def test_screenshot_of_the_summary_by_theme(plan_site: BatchSettings) -> None:
    import browser

    browser.require_browser()
    shot = plan_site.outputs_dir / SCREENSHOT
    page = plan_site.site_dir / "ashcombe" / DEMO_MONTH / "index.html"
    audit = browser.audit_page(page, screenshot=shot)
    assert audit.serious() == [], audit.summary()
    assert shot.is_file() and shot.stat().st_size > 10_000
    keep = PROJECT / "outputs" / "screenshots"
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, keep / SCREENSHOT)  # to look at: outputs/ is never committed
