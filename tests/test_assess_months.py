"""Assessing some measures, or many months at once, gives what the whole bulletin's
assessment of each month holds (issue 13: a survey chart's earlier waves).

Assessments are compared by ``repr``: every field, history and SPC point included
(NaN prints alike, where ``==`` would tell two equal Assessments apart).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DEMO_MONTH, DEMO_PRODUCED_ON, Demo

from cdrp_lib.assess import assess_months, assess_partnership
from cdrp_lib.assessment import Assessment
from cdrp_lib.errors import NotFoundError
from cdrp_lib.pages.bulletin import (
    SOURCE_SURVEY,
    SURVEY_CHART_WAVES,
    open_bulletin,
    opened_store,
    recent_waves,
)
from cdrp_lib.pages.fragments import key
from cdrp_lib.public import PublicAssessment, public_view
from cdrp_lib.store import Store

MONTHS = ("2024-03", "2024-12", "2025-06", "2025-11", DEMO_MONTH)


def _partnerships(demo: Demo) -> list[str]:
    with Store(demo.store, read_only=True) as st:
        return [pid for pid, _ in st.partnerships()]


def _same(found: list[Assessment], expected: list[Assessment]) -> None:
    assert [repr(a) for a in found] == [repr(a) for a in expected]


def test_a_measures_filter_keeps_exactly_those_assessments_of_the_whole_bulletin(
        demo: Demo) -> None:
    with Store(demo.store, read_only=True) as st:
        for pid in _partnerships(demo):
            whole = assess_partnership(st, demo.params, pid, DEMO_MONTH)
            # a survey measure, a target's police measure, and one with no target anywhere
            survey = {a.measure for a in whole if a.survey_percent is not None}
            for wanted in (survey, {w.measure for w in whole[:2] if w.measure},
                           {"vehicle-crime", "survey-feel-safe-night"}):
                found = assess_partnership(st, demo.params, pid, DEMO_MONTH, measures=wanted)
                _same(found, [a for a in whole if a.measure in wanted])
            assert assess_partnership(st, demo.params, pid, DEMO_MONTH, measures=()) == []


def test_a_filter_on_a_measure_held_only_by_targets_in_another_theme_keeps_the_theme(
        demo: Demo) -> None:
    with Store(demo.store, read_only=True) as st:
        whole = assess_partnership(st, demo.params, "ashcombe", DEMO_MONTH, theme="perception")
        wanted = {a.measure for a in whole}
        assert wanted, "the demo's perception theme has measures"
        _same(assess_partnership(st, demo.params, "ashcombe", DEMO_MONTH, theme="perception",
                                 measures=wanted | {"vehicle-crime"}), whole)


def test_assessing_many_months_at_once_gives_each_months_own_assessments(demo: Demo) -> None:
    with Store(demo.store, read_only=True) as st:
        for pid in _partnerships(demo):
            together = assess_months(st, demo.params, pid, list(MONTHS))
            assert list(together) == list(MONTHS)
            for month in MONTHS:
                _same(together[month], assess_partnership(st, demo.params, pid, month))
            survey = {a.measure for a in together[DEMO_MONTH] if a.survey_percent is not None}
            some = assess_months(st, demo.params, pid, list(MONTHS), theme="perception",
                                 measures=survey)
            for month in MONTHS:
                _same(some[month], [a for a in together[month]
                                    if a.theme == "perception" and a.measure in survey])
        assert assess_months(st, demo.params, "ashcombe", []) == {}


def test_an_unknown_measure_in_the_filter_is_named(demo: Demo) -> None:
    with (Store(demo.store, read_only=True) as st,
          pytest.raises(NotFoundError, match="no measure 'no-such-measure'")):
        assess_partnership(st, demo.params, "ashcombe", DEMO_MONTH,
                           measures={"vehicle-crime", "no-such-measure"})


def _theme_wide_waves(st: Store, params: Path, pid: str, latest: list[PublicAssessment],
                      source_of: dict[str, str | None]) -> dict[str, list[PublicAssessment]]:
    """How a survey chart's waves were found before issue 13: every month, the whole theme."""
    survey = [a for a in latest if source_of[a.measure] == SOURCE_SURVEY and a.data_to]
    months = sorted({p.month for a in survey
                     for p in [p for p in a.history if p.value is not None
                               and p.month <= str(a.data_to)][-SURVEY_CHART_WAVES:]})
    out: dict[str, list[PublicAssessment]] = {key(a): [] for a in survey}
    for month in months:
        found = {key(x): x for theme in sorted({a.theme for a in survey})
                 for x in map(public_view, assess_partnership(st, params, pid, month,
                                                              theme=theme))}
        for a in survey:
            x = found.get(key(a))
            if x is not None and x.survey_percent is not None and x.data_to == month:
                out[key(a)].append(x)
    return out


def test_a_survey_charts_waves_are_those_of_the_whole_themes_assessment_each_month(
        demo: Demo, tmp_path: Path) -> None:
    checked = 0
    for pid in _partnerships(demo):
        bulletin = open_bulletin(pid, DEMO_MONTH, store=demo.store, params_dir=demo.params,
                                 output_dir=tmp_path / pid, produced_on=DEMO_PRODUCED_ON)
        source_of = {a.measure: bulletin.config.source_of(a) for a in bulletin.assessments}
        for theme in bulletin.themes:
            latest = [a for a in bulletin.assessments if a.theme == theme]
            with opened_store(demo.store) as st:
                waves = recent_waves(st, bulletin.config, latest)
                if not waves:
                    continue
                expected = _theme_wide_waves(st, demo.params, pid, latest, source_of)
            assert {k: [repr(x) for x in v] for k, v in waves.items()} == {
                k: [repr(x) for x in v] for k, v in expected.items()}
            checked += sum(len(v) for v in waves.values())
    assert checked >= 12 * 3, "the demo's survey charts draw their waves"
