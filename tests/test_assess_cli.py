"""`cdrp assess` and assess_partnership() on the demo data, built and ingested once per module."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cdrp_lib.cli import main
from cdrp_lib.periods import Month

PARAMS = Path(__file__).resolve().parents[1] / "params"
MONTH = "2025-12"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The SYNTHETIC demo county written by cdrp_lib.demo and ingested with `cdrp ingest`."""
    from cdrp_lib.demo import write_demo

    root = tmp_path_factory.mktemp("demo")
    manifest = write_demo(root / "raw")
    store = root / "store.duckdb"
    assert main(["ingest", str(root / "raw"), "--store", str(store),
                 "--params", str(PARAMS)]) == 0
    yield {"store": store, "manifest": manifest}


def run_json(demo: dict[str, Any], capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code = main(["assess", "--store", str(demo["store"]), "--params", str(PARAMS), "--json",
                 *args])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


KEYS = ("rolling_12", "previous_rolling_12", "change_12m_pct", "month_value", "expected_low",
        "expected_high", "past_month", "trajectory_status", "trend_sufficient", "rag",
        "not_assessed_reason", "narrative")


def test_json_for_a_count_target(demo: dict[str, Any],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    j = run_json(demo, capsys, "--partnership", "ashcombe", "--measure", "vehicle-crime",
                 "--month", MONTH)
    for key in KEYS:
        assert key in j
    assert j["partnership"] == "ashcombe" and j["measure"] == "vehicle-crime"
    assert j["synthetic"] is True and j["data_to"] == MONTH
    assert j["past_month"] in ("above", "in_line", "below")
    assert j["trajectory_status"] in ("below", "on", "above")
    assert j["trend_sufficient"] in (True, False)
    assert j["rag"] in ("G", "A", "R")
    assert j["not_assessed_reason"] is None
    assert j["target_text"].startswith("a reduction of 5.0% (")
    assert isinstance(j["rolling_12"], float) and j["rolling_12"] > 0
    assert j["narrative"] and all(isinstance(s, str) for s in j["narrative"])
    assert j["settings"]["trend_method"] == "ols"
    months = [p["month"] for p in j["history"]]
    assert months == sorted(months) and months[-1] == MONTH


def test_text_output_has_the_table_and_the_narrative(
        demo: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["assess", "--store", str(demo["store"]), "--params", str(PARAMS),
                 "--partnership", "ashcombe", "--measure", "burglary", "--month", MONTH])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("Burglary: Ashcombe Community Safety Partnership, December 2025")
    assert "SYNTHETIC" in out and "RAG" in out and "Rolling 12 months" in out
    assert "The 2023/24 baseline for Burglary was" in out


def test_proportion_survey_and_monitor_only(demo: dict[str, Any],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    rate = run_json(demo, capsys, "--partnership", "ashcombe", "--measure", "da-repeat-rate",
                    "--month", MONTH)
    assert rate["kind"] == "proportion" and 0 <= rate["rolling_12"] <= 100
    assert rate["rolling_12"] == pytest.approx(
        100 * rate["rolling_12_numerator"] / rate["rolling_12_denominator"])
    survey = run_json(demo, capsys, "--partnership", "ashcombe", "--measure",
                      "survey-deal-with-issues", "--month", MONTH)
    assert 0 <= survey["survey_ci_low"] <= survey["survey_percent"] <= survey["survey_ci_high"]
    assert survey["survey_wave"] is not None and survey["baseline_percent"] is not None
    asb = run_json(demo, capsys, "--partnership", "ashcombe", "--measure",
                   "anti-social-behaviour", "--month", MONTH)
    assert asb["rag"] is None and asb["not_assessed_reason"] == "monitor_only"
    assert asb["rolling_12"] is not None  # monitored: the figures are still there


def test_sub_area_target_is_chosen_with_target(demo: dict[str, Any],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    own = run_json(demo, capsys, "--partnership", "ashcombe", "--measure", "violent-crime",
                   "--month", MONTH)
    town = run_json(demo, capsys, "--partnership", "ashcombe", "--measure", "violent-crime",
                    "--month", MONTH, "--target", "violent-crime-town-centre")
    assert own["target_id"] == "violent-crime"
    assert town["target_id"] == "violent-crime-town-centre"
    assert town["measure_name"] == "Violence and sexual offences in Ashcombe town centre"
    assert town["rolling_12"] < own["rolling_12"]


def test_publication_gap_is_missing_not_zero(demo: dict[str, Any],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    gap = demo["manifest"].gap_month
    if gap is None:
        pytest.skip("this demo has no publication gap")
    at_gap = run_json(demo, capsys, "--partnership", "brackenford", "--measure", "all-crime",
                      "--month", str(gap))
    assert at_gap["data_to"] == str(Month.parse(str(gap)) - 1)
    after = run_json(demo, capsys, "--partnership", "brackenford", "--measure", "all-crime",
                     "--month", str(Month.parse(str(gap)) + 1))
    assert after["rolling_12"] is None
    assert after["reasons"]["rolling"] == "missing_months"


def test_seed_partnership_without_data_is_not_assessed(
        demo: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    j = run_json(demo, capsys, "--partnership", "kettering", "--measure", "vehicle-crime",
                 "--month", MONTH)
    assert j["rag"] is None and j["not_assessed_reason"] == "source_late"
    assert j["narrative"] == ["Performance cannot be assessed because the data are not yet "
                              "available."]


@pytest.mark.parametrize(("args", "message"), [
    (["--partnership", "nowhere", "--measure", "vehicle-crime", "--month", MONTH],
     "no partnership 'nowhere'"),
    (["--partnership", "ashcombe", "--measure", "nothing", "--month", MONTH],
     "no measure 'nothing'"),
    (["--partnership", "ashcombe", "--measure", "vehicle-crime", "--month", "2025-13"],
     "month must be YYYY-MM"),
    (["--partnership", "ashcombe", "--measure", "vehicle-crime", "--month", MONTH,
      "--target", "nope"], "has no target 'nope'"),
])
def test_bad_arguments_fail_in_one_line(demo: dict[str, Any], capsys: pytest.CaptureFixture[str],
                                        args: list[str], message: str) -> None:
    code = main(["assess", "--store", str(demo["store"]), "--params", str(PARAMS), *args])
    err = capsys.readouterr().err
    assert code != 0
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_missing_store_is_a_one_line_error(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["assess", "--store", str(tmp_path / "none.duckdb"), "--partnership", "a",
                 "--measure", "vehicle-crime", "--month", MONTH])
    assert code != 0 and "cdrp ingest" in capsys.readouterr().err


def test_assess_partnership_lists_targets_then_untargeted_measures(demo: dict[str, Any]) -> None:
    from cdrp_lib.assess import assess_partnership
    from cdrp_lib.params import load_partnerships
    from cdrp_lib.stats.enums import NotAssessedReason
    from cdrp_lib.store import Store

    with Store(demo["store"]) as store:
        found = assess_partnership(store, PARAMS, "ashcombe", MONTH)
        violence = assess_partnership(store, PARAMS, "ashcombe", MONTH, theme="violence")
    targets = [t.id for t in load_partnerships(PARAMS)["ashcombe"].targets]
    assert [a.target_id for a in found[:len(targets)]] == targets
    rest = found[len(targets):]
    assert rest and all(a.not_assessed_reason is NotAssessedReason.NO_TARGET for a in rest)
    assert {a.theme for a in violence} == {"violence"}
    rated = [a for a in found if a.rag is not None]
    assert rated, "the demo should rate some targets"
    # The demo's police, DA and survey data run to 2025-12; partner agencies' end at their lags.
    assert all(a.data_to == MONTH for a in found
               if a.measure and a.source in ("police", "domestic_abuse", "survey"))
    assert all(a.data_to is not None and a.data_to <= MONTH for a in found if a.measure)
    for a in found:
        assert a.partnership == "ashcombe" and a.synthetic
        assert (a.rag is None) == (a.not_assessed_reason is not None)


def test_monitor_targets_of_the_seed_plans_print_their_own_words(demo: dict[str, Any]) -> None:
    """A measured one (Ashcombe's ASB) and one no extract holds (Ashford's night-time economy)."""
    from cdrp_lib.assess import assess_partnership
    from cdrp_lib.store import Store

    with Store(demo["store"]) as store:
        asb = assess_partnership(store, PARAMS, "ashcombe", MONTH, theme="asb")
        nte = assess_partnership(store, PARAMS, "ashford", MONTH, theme="violence")
    measured = next(a for a in asb if a.target_id == "anti-social-behaviour")
    assert measured.measure == "anti-social-behaviour" and measured.rolling_12 is not None
    assert ("This target is monitored only: Police ASB recording changed during 2023/24, so "
            "the partnership monitors ASB incidents without a target until a full year is "
            "recorded the new way.") in measured.narrative
    unheld = next(a for a in nte if a.target_id == "night-time-economy-violence")
    assert unheld.measure == ""
    assert unheld.narrative == (
        "This target is monitored only: Alcohol or drug related offences cannot be identified "
        "in data.police.uk, and the hotspots are not defined as LSOAs.",
        "The plan's target: 5% reduction in night-time economy alcohol/drug related violent "
        "offences in hotspots, including town centres.")
