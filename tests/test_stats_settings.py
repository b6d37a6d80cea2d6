"""Method settings: documented defaults, recorded, and every validation rule fires."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cdrp_lib.errors import ParamsError
from cdrp_lib.stats.enums import PastMonthMethod, PeerAverage, RoundingRule, TrendMethod
from cdrp_lib.stats.settings import MethodSettings, load_method_settings, two_sided_z


def test_documented_defaults() -> None:
    s = MethodSettings()
    assert s.tolerance == 0.10
    assert s.z_threshold == 2
    assert s.past_month_method is PastMonthMethod.POISSON_Z
    assert s.min_months == 12
    assert (s.trend_window, s.trend_method) == (24, TrendMethod.OLS)
    assert (s.funnel_level, s.funnel_outer_level) == (0.95, 0.998)
    assert s.funnel_z == pytest.approx(1.96, abs=5e-3)
    assert s.funnel_outer_z == pytest.approx(3.09, abs=5e-3)
    assert s.peer_average is PeerAverage.POOLED
    assert (s.spc_shift_length, s.spc_trend_length, s.screen_outliers) == (7, 7, True)
    assert s.rounding is RoundingRule.CEILING
    assert (s.suppression_threshold, s.min_denominator) == (5, 10)


def test_record_is_plain_json_of_what_was_used() -> None:
    rec = MethodSettings(trend_method=TrendMethod.THEIL_SEN).record()
    assert json.loads(json.dumps(rec)) == rec
    assert rec["trend_method"] == "theil_sen" and rec["tolerance"] == 0.1


def test_settings_are_frozen() -> None:
    s = MethodSettings()
    with pytest.raises(Exception, match="frozen"):
        s.tolerance = 0.2  # type: ignore[misc]


def test_two_sided_z() -> None:
    assert two_sided_z(0.95) == pytest.approx(1.959964, abs=1e-6)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"tolerance": 1.5}, "methods.tolerance"),
        ({"z_threshold": 0}, "methods.z_threshold"),
        ({"min_months": 5}, "methods.min_months"),
        ({"min_months": 13}, "methods.min_months"),
        ({"trend_method": "lowess"}, "methods.trend_method"),
        ({"trend_window": 2}, "methods.trend_window"),
        ({"funnel_level": 1.2}, "methods.funnel_level"),
        ({"spc_shift_length": 1}, "methods.spc_shift_length"),
        ({"spc_fix_after_n_points": 11}, "methods.spc_fix_after_n_points"),
        ({"suppression_threshold": 0}, "methods.suppression_threshold"),
        ({"rounding": "down"}, "methods.rounding"),
        ({"tolerence": 0.1}, "methods.tolerence"),
    ],
)
def test_each_rule_fires_naming_file_and_key(raw: dict[str, Any], key: str) -> None:
    with pytest.raises(ParamsError) as exc:
        load_method_settings(raw, "params/bulletin.yaml")
    assert "params/bulletin.yaml" in str(exc.value) and key in str(exc.value)


def test_outer_funnel_must_be_wider() -> None:
    with pytest.raises(ParamsError, match="funnel_outer_level"):
        load_method_settings({"funnel_outer_level": 0.9}, "params/bulletin.yaml")


def test_all_problems_reported_together() -> None:
    with pytest.raises(ParamsError) as exc:
        load_method_settings({"tolerance": 2, "min_months": 1}, "b.yaml")
    assert len(exc.value.problems) == 2


def test_valid_mapping_loads() -> None:
    s = load_method_settings({"rounding": "half_up", "z_threshold": 3}, "b.yaml")
    assert s.rounding is RoundingRule.HALF_UP and s.z_threshold == 3
    assert load_method_settings(None, "b.yaml") == MethodSettings()
