"""Coverage: which CSPs the store can report on, the shipped reference, and the funnel."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cdrp_lib.areas import DISTRICT_POPULATION_FILE, DISTRICTS_FILE, reference
from cdrp_lib.coverage import auto_partnerships, params_forces, population_years
from cdrp_lib.stats.peers import PeerMember, compare_with_peers, funnel_curve

REF = reference()


def test_every_district_change_since_2017_is_applied() -> None:
    d = REF.districts
    assert d["Kettering"].csp == d["Corby"].csp == "North Northamptonshire"
    assert d["Christchurch"].current == "Bournemouth, Christchurch and Poole"
    assert d["West Dorset"].csp == "Dorset" and d["Poole"].csp != "Dorset"
    assert d["Taunton Deane"].current == d["Mendip"].current == "Somerset"
    assert d["Waveney"].current == "East Suffolk" and d["Forest Heath"].current == "West Suffolk"
    assert d["Wycombe"].current == "Buckinghamshire"
    assert d["Barrow-in-Furness"].current == "Westmorland and Furness"
    assert d["Carlisle"].current == "Cumberland" and d["Selby"].current == "North Yorkshire"
    assert d["City of London"].force == "city-of-london" and d["Barnet"].force == "metropolitan"
    assert REF.current_districts("North Yorkshire") == ("North Yorkshire",)


def test_every_current_district_has_a_2019_population() -> None:
    with DISTRICT_POPULATION_FILE.open(encoding="utf-8") as f:
        held = {(r["district"], r["year"]) for r in csv.DictReader(f)}
    current = {d.current for d in REF.districts.values()}
    assert not {c for c in current if (c, "2019") not in held}
    with DISTRICTS_FILE.open(encoding="utf-8") as f:
        assert next(csv.reader(f))[:3] == ["district", "district_code", "current_district"]


def test_a_csp_is_reportable_only_when_its_force_is_in_the_store() -> None:
    found = auto_partnerships(["Kettering", "North Northamptonshire", "Barnet", "Ashcombe"],
                              ["northamptonshire", "demoshire"],
                              {"Ashcombe": "demoshire", "Barnet": "northamptonshire"})
    assert set(found.areas) == {"north-northamptonshire", "ashcombe"}
    nn = found.areas["north-northamptonshire"][1]
    assert {"Kettering", "Corby", "North Northamptonshire"} <= nn.districts
    assert found.population_districts["north-northamptonshire"] == ("North Northamptonshire",)
    assert found.forces["ashcombe"] == frozenset({"demoshire"})
    assert found.outside == frozenset({"Barnet"})


def test_an_unknown_district_of_a_real_force_forms_nothing() -> None:
    found = auto_partnerships(["Nowhere Town"], ["kent"], {"Nowhere Town": "kent"})
    assert not found.areas and found.outside == frozenset({"Nowhere Town"})


def test_params_forces_come_from_the_reference_then_the_principal_force() -> None:
    from cdrp_lib.areas import PartnershipArea

    kettering = PartnershipArea("k", "K", districts=frozenset({"Kettering"}))
    assert params_forces(kettering, "leicestershire") == frozenset({"northamptonshire"})
    town = PartnershipArea("t", "T", lsoas=frozenset({"E01000001"}))
    assert params_forces(town, "demoshire") == frozenset({"demoshire"})


def test_population_years_fall_back_to_the_latest_held(tmp_path: Path) -> None:
    import duckdb

    con = duckdb.connect(str(tmp_path / "p.duckdb"))
    con.execute("CREATE TABLE population (district VARCHAR, year INTEGER, population DOUBLE)")
    con.execute("INSERT INTO population VALUES ('A', 2011, 1), ('A', 2018, 1), ('A', 2019, 1)")
    assert population_years(con, 2025) == [2019, 2018, 2011]
    assert population_years(con, 2018) == [2018, 2011, 2019]
    assert population_years(con, 2000) == [2011, 2018, 2019]


@pytest.mark.parametrize("own", ["A", "D"])
def test_the_funnel_curve_gives_the_limits_the_comparison_used(own: str) -> None:
    members = [PeerMember("A", 1650, 100_000), PeerMember("B", 2100, 150_000),
               PeerMember("C", 1200, 80_000), PeerMember("D", 1900, 120_000),
               PeerMember("E", 1500, 110_000)]
    r = compare_with_peers(own, members)
    assert r.average is not None and r.limits is not None and r.outer_limits is not None
    size = next(m.population for m in members if m.id == own)
    assert size is not None
    ((_, inner, outer),) = funnel_curve(r.average, [size], phi=r.phi or 1.0)
    assert inner.lower == pytest.approx(r.limits.lower)
    assert inner.upper == pytest.approx(r.limits.upper)
    assert outer.upper == pytest.approx(r.outer_limits.upper)


def test_the_funnel_chart_draws_every_member_at_its_rate_and_population() -> None:
    import io

    from test_assess import PEERS, measure, series_from, year_counts

    from cdrp_lib.assess import assess
    from cdrp_lib.charts import funnel_chart

    series = {k: series_from("2024-04", year_counts(c)) for k, (c, _) in PEERS.items()}
    pops = {k: float(p) for k, (_, p) in PEERS.items()}
    a = assess(series["A"], None, "2025-03", measure=measure(), partnership="A",
               peers={k: v for k, v in series.items() if k != "A"}, populations=pops)
    assert [i for i, _, _ in a.peer_member_rates] == ["A", "B", "C", "D", "E"]
    chart = funnel_chart(a, {"B": "Bee"})
    rows = list(csv.DictReader(io.StringIO(chart.csv)))
    assert {r["member"]: float(r["rate_per_1000"]) for r in rows}["Bee"] == \
        pytest.approx(1000 * 2100 / 150_000)
    assert {r["member"]: float(r["population"]) for r in rows}["A"] == 100_000
    assert "Bee 14.0" in chart.alt and "A is within the limits" in chart.alt
    assert chart.marker("A") == "D" and chart.marker("Other members") == "o"
