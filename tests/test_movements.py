"""What changed since last month: each target's rating now and last month, on the front
page and in figures.json (cdrp_lib.pages.movements)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import DEMO_MONTH, Demo

from cdrp_lib import pages
from cdrp_lib.pages import movements as mv
from cdrp_lib.periods import Month
from cdrp_lib.stats.enums import Rag
from cdrp_lib.store import Store

G, A, R = Rag.GREEN, Rag.AMBER, Rag.RED
PRODUCED_ON = "2026-01-15"


@pytest.mark.parametrize(("now", "before", "expected"), [
    (G, A, mv.Movement.UP), (A, R, mv.Movement.UP), (G, R, mv.Movement.UP),
    (A, G, mv.Movement.DOWN), (R, A, mv.Movement.DOWN),
    (G, G, mv.Movement.SAME), (R, R, mv.Movement.SAME), (None, None, mv.Movement.SAME),
    (A, None, mv.Movement.NEW), (None, G, mv.Movement.UNRATED),
])
def test_movement_reads_better_ratings_as_up(now: Rag | None, before: Rag | None,
                                             expected: mv.Movement) -> None:
    assert mv.movement(now, before) is expected
    assert expected.changed == (expected is not mv.Movement.SAME)


def _bulletin(demo: Demo, month: str, tmp_path: Path) -> pages.Bulletin:
    return pages.open_bulletin("ashcombe", month, store=demo.store, params_dir=demo.params,
                               output_dir=tmp_path / month, produced_on=PRODUCED_ON)


def test_last_months_ratings_are_last_months_bulletins(demo: Demo, tmp_path: Path) -> None:
    now = _bulletin(demo, DEMO_MONTH, tmp_path)
    before = _bulletin(demo, str(Month.parse(DEMO_MONTH) - 1), tmp_path)
    expected = {a.target_id: a.rag for a in before.assessments if a.target_id is not None}
    assert expected, "the demo partnership has targets"
    assert dict(now.ratings_last_month()) == expected
    # one theme's targets, the same ratings
    violence = dict(now.ratings_last_month("violence"))
    assert violence and violence == {k: v for k, v in expected.items() if k in violence}
    # read from the store again, the same answer (deterministic)
    with Store(demo.store, read_only=True) as st:
        again = mv.ratings_last_month(st, demo.params, "ashcombe", DEMO_MONTH)
    assert again == expected


def test_changed_ratings_are_listed_first_on_the_front_page(demo: Demo, tmp_path: Path) -> None:
    page = _bulletin(demo, DEMO_MONTH, tmp_path).summary()
    targets = [a for a in page.assessments if a.target_id is not None]
    rated = [a for a in targets if a.rag is not None]
    assert len(rated) >= 3
    # last month: the third rated target one step worse, the first one better, one new
    worse = {G: A, A: R, R: R}
    better = {G: G, A: G, R: A}
    last: dict[str, Rag | None] = {a.target_id or "": a.rag for a in targets}
    changed = {rated[2].target_id: better[rated[2].rag],  # type: ignore[index]
               rated[0].target_id: worse[rated[0].rag]}  # type: ignore[index]
    last.update({k: v for k, v in changed.items() if k})
    last.pop(rated[1].target_id or "")
    page.last_month = lambda: last
    rows = mv.movements(targets, last)
    moved = [r for r in rows if r.movement.changed]
    assert [r.target_id for r in rows[:len(moved)]] == [r.target_id for r in moved]
    assert all(not r.movement.changed for r in rows[len(moved):])
    assert {r.target_id for r in moved} >= {rated[1].target_id}  # new: no rating last month
    part = page.movements()
    html = part.html
    assert 'id="what-changed"' in html and "changed rating since November 2025" in html
    first_row = html.index("<tbody>") + len("<tbody>")
    assert html[first_row:].startswith(f'<tr><th scope="row">{moved[0].title}')
    assert "New" in html and "../../guide.html#what-changed" in html
    assert [d.name for d in part.downloads] == ["summary-movements.csv"]
    csv = part.downloads[0].csv.splitlines()
    assert csv[0].startswith("Target,Theme,Rating now,")
    assert "Rating in November 2025" in csv[0] and csv[0].endswith("Movement")
    assert len(csv) == 1 + len(targets)


def test_figures_json_records_last_months_rating_of_every_target(demo: Demo,
                                                                 tmp_path: Path) -> None:
    bulletin = _bulletin(demo, DEMO_MONTH, tmp_path)
    last = bulletin.ratings_last_month()
    for page in (bulletin.summary(), bulletin.theme("acquisitive_crime")):
        docs = json.loads(page.figures_json())
        targets = [d for d in docs if d["target_id"] is not None]
        assert targets
        for d in docs:
            if d["target_id"] is None:
                assert mv.LAST_MONTH_KEY not in d and mv.MOVEMENT_KEY not in d
                continue
            was = last[d["target_id"]]
            assert d[mv.LAST_MONTH_KEY] == (was.letter if was else None)
            now = Rag(d["rag"]) if d["rag"] else None
            assert d[mv.MOVEMENT_KEY] == mv.movement(now, was).value


def test_a_target_without_last_month_is_new_and_an_empty_page_has_no_section(
        demo: Demo, tmp_path: Path) -> None:
    page = _bulletin(demo, DEMO_MONTH, tmp_path).summary()
    page.last_month = dict
    part = page.movements()
    rated = sum(a.rag is not None for a in page.assessments if a.target_id is not None)
    assert part.html.count(">New<") == rated
