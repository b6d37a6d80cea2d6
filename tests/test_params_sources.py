"""A measure's source is any id bulletin.yaml lists (issue 11), and only such an id."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cdrp_lib.errors import ParamsError
from cdrp_lib.params import load_bulletin, load_measures

REPO_PARAMS = Path(__file__).resolve().parents[1] / "params"
FIRE = ("  - {id: test-fires, name: Primary fires, theme: summary, source: fire,\n"
        "     polarity: lower_is_better}\n")


@pytest.fixture
def params(tmp_path: Path) -> Path:
    shutil.copy(REPO_PARAMS / "measures.yaml", tmp_path / "measures.yaml")
    shutil.copy(REPO_PARAMS / "bulletin.yaml", tmp_path / "bulletin.yaml")
    return tmp_path


def _add(params: Path, text: str) -> None:
    path = params / "measures.yaml"
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n" + text,
                    encoding="utf-8")


def test_the_shipped_bulletin_lists_the_partner_sources() -> None:
    sources = load_bulletin(REPO_PARAMS).sources
    assert {"fire", "road-safety", "youth-justice", "probation"} <= set(sources)
    assert all(s.name and s.lag_months >= 0 for s in sources.values())


def test_a_measure_of_a_listed_partner_source_loads(params: Path) -> None:
    _add(params, FIRE)
    assert load_measures(params)["test-fires"].source == "fire"


def test_a_source_bulletin_yaml_does_not_list_is_an_error_naming_all(params: Path) -> None:
    _add(params, FIRE.replace("source: fire", "source: fires"))
    with pytest.raises(ParamsError) as info:
        load_measures(params)
    (p,) = info.value.problems
    assert p.file.endswith("measures.yaml") and p.column == f"measures[{_count(params) - 1}].source"
    lines = (params / "measures.yaml").read_text(encoding="utf-8").splitlines()
    assert "source: fires" in lines[p.line - 1]  # type: ignore[operator]
    assert "'test-fires'" in p.rule and "'fires'" in p.rule
    assert "did you mean fire?" in p.rule
    for listed in ("police", "domestic_abuse", "survey", "fire", "road-safety", "probation"):
        assert listed in p.rule


def test_a_source_is_an_id(params: Path) -> None:
    _add(params, FIRE.replace("source: fire", "source: Fire Service"))
    with pytest.raises(ParamsError, match="must be a source id"):
        load_measures(params)


def test_measures_alone_are_not_checked_against_a_bulletin(tmp_path: Path) -> None:
    shutil.copy(REPO_PARAMS / "measures.yaml", tmp_path / "measures.yaml")
    _add(tmp_path, FIRE.replace("source: fire", "source: council"))
    assert load_measures(tmp_path)["test-fires"].source == "council"


def _count(params: Path) -> int:
    return (params / "measures.yaml").read_text(encoding="utf-8").count("  - {id:")
