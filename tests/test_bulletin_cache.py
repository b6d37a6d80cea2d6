"""The pages of one bulletin share its opening under the batch: assessed once, not per page.

Each page is a notebook in a fresh kernel that calls ``open_bulletin``; with
``CDRP_BULLETIN_CACHE`` set (the batch sets it to a folder of its own for each
job) the first call keeps the config, the public Assessments and every target's
rating last month, and the later ones load them.  Outside the batch nothing is kept.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import DEMO_MONTH, Demo

import cdrp_lib
from cdrp_lib.pages.bulletin import CACHE_ENV

PARTNERSHIP = "ashcombe"
PRODUCED_ON = "2026-01-15"


def _open(demo: Demo, tmp_path: Path, month: str = DEMO_MONTH) -> cdrp_lib.Bulletin:
    return cdrp_lib.open_bulletin(PARTNERSHIP, month, store=demo.store, params_dir=demo.params,
                                  output_dir=tmp_path / "out", produced_on=PRODUCED_ON)


PREVIOUS = "2025-11"  # the month before DEMO_MONTH: last month's ratings
LAST_MONTH = f"{PREVIOUS} targets"


def _count_assessments(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every month ``assess_partnership`` is called for (``"<month> targets"`` for
    a call assessing only the targets, as last month's ratings do)."""
    import cdrp_lib.assess as assess

    calls: list[str] = []
    real = assess.assess_partnership

    def counted(*args: object, **kwargs: object) -> object:
        month = str(args[3] if len(args) > 3 else kwargs["month"])
        calls.append(f"{month} targets" if kwargs.get("targets_only") else month)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(assess, "assess_partnership", counted)
    return calls


def test_the_second_page_loads_the_first_pages_assessments(
        demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(cache))
    calls = _count_assessments(monkeypatch)
    first = _open(demo, tmp_path)
    second = _open(demo, tmp_path)
    assert calls == [DEMO_MONTH, LAST_MONTH]  # assessed once for both, last month too
    assert len(list(cache.glob("*.pickle"))) == 1
    assert second.assessments == first.assessments and second.config == first.config
    assert second.ratings_last_month() == first.ratings_last_month()
    # What the pages make of them is the same, whether made or loaded.
    assert second.theme("violence").at_a_glance().html == \
        first.theme("violence").at_a_glance().html


def test_last_months_ratings_are_read_once_for_every_page_of_a_bulletin(
        demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each page's figures file and the front page's movements need last month's ratings;
    under the batch they come with the bulletin's opening, never again per page."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    calls = _count_assessments(monkeypatch)
    for theme in ("violence", "asb", "summary"):  # each page a kernel of its own
        bulletin = _open(demo, tmp_path)
        page = bulletin.summary() if theme == "summary" else bulletin.theme(theme)
        page.write()
        if theme == "summary":
            page.movements()
    assert calls == [DEMO_MONTH, LAST_MONTH]
    # a theme's ratings are its own targets' only, as read for that theme alone
    bulletin = _open(demo, tmp_path)
    violence = {a.target_id for a in bulletin.assessments
                if a.theme == "violence" and a.target_id is not None}
    assert violence and set(bulletin.ratings_last_month("violence")) == violence
    assert set(bulletin.ratings_last_month()) > violence


def test_outside_the_batch_nothing_is_kept(
        demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CACHE_ENV, raising=False)
    calls = _count_assessments(monkeypatch)
    _open(demo, tmp_path)
    _open(demo, tmp_path)
    assert calls == [DEMO_MONTH, LAST_MONTH] * 2


def test_another_month_or_a_changed_store_is_assessed_again(
        demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(cache))
    calls = _count_assessments(monkeypatch)
    _open(demo, tmp_path)
    _open(demo, tmp_path, PREVIOUS)
    stat = demo.store.stat()
    try:
        os.utime(demo.store, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # as an ingest would
        _open(demo, tmp_path)
    finally:
        os.utime(demo.store, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert calls == [DEMO_MONTH, LAST_MONTH, PREVIOUS, "2025-10 targets", DEMO_MONTH,
                     LAST_MONTH]
    assert len(list(cache.glob("*.pickle"))) == 3


def test_a_damaged_cache_file_is_made_again(
        demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(cache))
    first = _open(demo, tmp_path)
    (kept,) = cache.glob("*.pickle")
    kept.write_bytes(b"not a pickle")
    calls = _count_assessments(monkeypatch)
    again = _open(demo, tmp_path)
    assert calls == [DEMO_MONTH, LAST_MONTH] and again.assessments == first.assessments
    assert kept.read_bytes() != b"not a pickle"


def test_a_batch_job_gives_its_kernels_a_cache_of_its_own_and_removes_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from cdrp_lib.batch.execute import _bulletin_cache

    monkeypatch.delenv(CACHE_ENV, raising=False)
    with _bulletin_cache():
        folder = Path(os.environ[CACHE_ENV])
        assert folder.is_dir()
        (folder / "x.pickle").write_bytes(b"x")
    assert CACHE_ENV not in os.environ and not folder.exists()


def test_the_survey_page_takes_its_earlier_waves_from_the_opening(
        demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under the batch the survey charts' earlier waves come with the opening, so the survey
    page's kernel neither parses params nor opens the store again (issue 13), and they are
    the waves that page reads for itself outside the batch."""
    import cdrp_lib.pages.bulletin as bulletin_module

    monkeypatch.delenv(CACHE_ENV, raising=False)
    alone = _open(demo, tmp_path).theme("perception")
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    _open(demo, tmp_path)  # the first page's kernel

    def refuse(store: object) -> None:
        raise AssertionError("the survey page opened the store again")

    monkeypatch.setattr(bulletin_module, "opened_store", refuse)
    page = _open(demo, tmp_path).theme("perception")
    assert alone._waves and page._waves == alone._waves
    assert page.whole().html == alone.whole().html
    # A page with no survey measure gets none, as before.
    assert _open(demo, tmp_path).theme("violence")._waves == {}
