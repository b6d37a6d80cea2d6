"""The synthetic Demoshire dataset: deterministic, in the real formats, with every feature."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from cdrp_lib.areas import district_from_lsoa_name, slugify
from cdrp_lib.cli import main
from cdrp_lib.demo import (
    DEMO_FORCE,
    DISTRICT_NAMES,
    MAX_PARTNERSHIPS,
    TOWN_CENTRE_LSOAS,
    DemoManifest,
    digest,
    gap_index,
    lsoa_code,
    lsoa_name,
    write_demo,
)
from cdrp_lib.errors import CdrpError
from cdrp_lib.periods import month_range
from cdrp_lib.sources.domestic_abuse import monthly_series, read_domestic_abuse
from cdrp_lib.sources.population import read_population
from cdrp_lib.sources.survey import read_survey

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
STREET_COLUMNS = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
                  "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category",
                  "Context"]
CRIME_TYPES = {  # the 14 current data.police.uk categories
    "Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson", "Drugs",
    "Other theft", "Possession of weapons", "Public order", "Robbery", "Shoplifting",
    "Theft from the person", "Vehicle crime", "Violence and sexual offences", "Other crime"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoManifest:
    """The default demo: 6 partnerships, 60 months to 2025-12."""
    return write_demo(tmp_path_factory.mktemp("demo") / "demo")


@pytest.fixture(scope="module")
def street(demo: DemoManifest) -> pd.DataFrame:
    """Every street row with the header checked and the file's folder month kept."""
    frames = []
    for relative in demo.files:
        if not relative.startswith("police_uk/"):
            continue
        with (demo.out_dir / relative).open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == STREET_COLUMNS, relative
        frame = pd.DataFrame(rows[1:], columns=STREET_COLUMNS)
        frames.append(frame.assign(folder=relative.split("/")[1]))
    return pd.concat(frames, ignore_index=True)


def test_files_are_in_the_real_layout(demo: DemoManifest) -> None:
    police = [f for f in demo.files if f.startswith("police_uk/")]
    assert all(re.fullmatch(r"police_uk/(\d{4}-\d{2})/\1-demoshire-street\.csv", f)
               for f in police)
    assert {"local/domestic_abuse.csv", "local/survey_responses.csv",
            "reference/population.csv", "README.md"} <= set(demo.files)
    assert demo.force == DEMO_FORCE
    assert (demo.first_month, demo.last_month) == ("2021-01", "2025-12")


def test_readme_says_synthetic(demo: DemoManifest) -> None:
    readme = (demo.out_dir / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# SYNTHETIC")
    assert "Every number in this folder is SYNTHETIC" in readme
    assert demo.gap_month in readme


def test_one_publication_gap_in_the_middle(demo: DemoManifest) -> None:
    months = [str(m) for m in month_range(demo.first_month, demo.last_month)]
    published = sorted(f.split("/")[1] for f in demo.files if f.startswith("police_uk/"))
    missing = sorted(set(months) - set(published))
    assert missing == [demo.gap_month] == ["2022-12"]
    assert published[0] < demo.gap_month < published[-1]
    assert months.index(demo.gap_month) <= len(months) - 37  # the last 36 months are complete


@pytest.mark.parametrize(("months", "gap"), [(60, 23), (48, 11), (24, 12), (13, 6)])
def test_gap_position(months: int, gap: int) -> None:
    assert gap_index(months) == gap


def test_street_rows_look_like_data_police_uk(street: pd.DataFrame) -> None:
    assert (street["Month"] == street["folder"]).all()
    assert set(street["Crime type"]) == CRIME_TYPES
    assert (street["Reported by"] == "Demoshire Police").all()
    assert (street["Context"] == "").all()
    asb = street["Crime type"] == "Anti-social behaviour"
    assert (street.loc[asb, "Crime ID"] == "").all()
    assert (street.loc[asb, "Last outcome category"] == "").all()
    assert street.loc[~asb, "Crime ID"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert (street.loc[~asb, "Last outcome category"] != "").all()
    located = street["LSOA code"] != ""
    assert street.loc[located, "LSOA code"].str.fullmatch(r"E019\d{5}").all()
    assert street.loc[located, "Longitude"].str.fullmatch(r"\d\.\d{6}").all()
    assert street.loc[located, "Location"].str.startswith("On or near ").all()


def test_some_rows_have_no_location(street: pd.DataFrame) -> None:
    nowhere = street[street["Location"] == "No Location"]
    assert 0 < len(nowhere) < 0.02 * len(street)
    assert (nowhere[["Longitude", "Latitude", "LSOA code", "LSOA name"]] == "").all().all()


def test_some_crime_ids_repeat_within_a_month(street: pd.DataFrame) -> None:
    crimes = street[street["Crime ID"] != ""]
    repeats = crimes.duplicated(["Month", "Crime ID"]).sum()
    assert 0 < repeats < 0.005 * len(crimes)


def test_levels_suit_districts_of_60_to_150k(demo: DemoManifest, street: pd.DataFrame) -> None:
    population, problems = read_population(demo.out_dir / "reference" / "population.csv")
    assert problems == []
    latest = population[population["year"] == 2025].set_index("district")["population"]
    assert latest.between(60_000, 150_000).all() and list(latest.index) == sorted(demo.districts)
    districts = street["LSOA name"].str.replace(r" \d{3}[A-Z]$", "", regex=True)
    crimes = street[(districts != "") & (street["Crime type"] != "Anti-social behaviour")]
    per_1000_month = (crimes.groupby(districts).size() / street["Month"].nunique()
                      / latest * 1000)
    assert per_1000_month.between(4, 12).all()  # England: roughly 6-9 a month per 1,000


def test_lsoa_codes_and_names() -> None:
    assert lsoa_code(1, 1) == "E01901001" and lsoa_code(12, 345) == "E01912345"
    assert [lsoa_name("Ashcombe", j) for j in (1, 4, 5)] == [
        "Ashcombe 001A", "Ashcombe 001D", "Ashcombe 002A"]
    assert district_from_lsoa_name(lsoa_name("Eastwick and Fenby", 9)) == "Eastwick and Fenby"


def test_town_centre_concentrates_violence_and_shoplifting(street: pd.DataFrame) -> None:
    ashcombe = street[street["LSOA name"].str.startswith("Ashcombe ")]
    centre = ashcombe["LSOA code"].isin(TOWN_CENTRE_LSOAS)
    assert set(ashcombe.loc[centre, "LSOA name"]) == {f"Ashcombe 001{x}" for x in "ABCD"}
    lsoa_share = len(TOWN_CENTRE_LSOAS) / ashcombe["LSOA code"].nunique()
    share = ashcombe[centre].groupby("Crime type").size() / ashcombe.groupby("Crime type").size()
    assert share["Violence and sexual offences"] > 4 * lsoa_share
    assert share["Shoplifting"] > 0.35
    assert share["Burglary"] < 0.15


def test_seasonality_and_trends_that_differ(street: pd.DataFrame) -> None:
    violence = street[street["Crime type"] == "Violence and sexual offences"]
    by_month = violence.groupby(violence["Month"].str[5:]).size()
    assert by_month[["06", "07", "08"]].sum() > 1.15 * by_month[["01", "02", "03"]].sum()
    located = street[street["LSOA name"] != ""]
    district = located["LSOA name"].str.replace(r" \d{3}[A-Z]$", "", regex=True)
    recent = located["Month"].between("2025-01", "2025-12")
    before = located["Month"].between("2024-01", "2024-12")
    counts = pd.DataFrame({
        "now": located[recent].groupby([district[recent], "Crime type"]).size(),
        "then": located[before].groupby([district[before], "Crime type"]).size()})
    big = counts[counts["then"] >= 200]
    change = big["now"] / big["then"] - 1
    assert (change < -0.05).sum() >= 5 and (change > 0.05).sum() >= 5


def test_domestic_abuse_has_repeat_victims_and_marac(demo: DemoManifest) -> None:
    events, problems = read_domestic_abuse(demo.out_dir / "local" / "domestic_abuse.csv")
    assert problems == []
    assert set(events["kind"]) == {"crime", "incident"}
    assert events["date"].dt.strftime("%Y-%m").min() == demo.first_month
    assert events["date"].dt.strftime("%Y-%m").max() == demo.last_month
    assert (events["lsoa_code"] != "").mean() > 0.9
    assert set(events.loc[events["lsoa_code"] == "", "partnership"]) == set(demo.partnership_ids)
    per_victim = events.groupby("victim_id").size()
    assert (per_victim > 1).sum() > 1000
    assert 0.01 < events["marac_referral"].mean() < 0.2
    district_of = {lsoa_code(i + 1, 1)[:6]: p for i, p in enumerate(demo.partnership_ids)}
    resolved = events.assign(partnership=events["partnership"].where(
        events["partnership"] != "", events["lsoa_code"].str[:6].map(district_of)))
    series = monthly_series(resolved)
    last_year = series[series["month"] >= "2025-01"]
    for measure, low, high in (("da-repeat-rate", 0.1, 0.45), ("marac-repeat-rate", 0.15, 0.6)):
        sums = last_year[last_year["measure"] == measure].groupby("partnership")[
            ["value", "denominator"]].sum()
        rates = sums["value"] / sums["denominator"]
        assert rates.between(low, high).all(), (measure, rates)


def test_quarterly_survey_waves_for_the_three_questions(demo: DemoManifest) -> None:
    waves, problems = read_survey(demo.out_dir / "local" / "survey_responses.csv")
    assert problems == []
    assert set(waves["question"]) == {"deal_with_issues", "feel_safe_night", "asb_problem"}
    assert waves["wave"].str.fullmatch(r"\d{4}Q[1-4]").all()
    assert set(waves["month"].str[5:]) == {"03", "06", "09", "12"}
    per = waves.groupby(["partnership", "question"]).size()
    assert set(per.index.get_level_values(0)) == set(demo.partnership_ids)
    assert (per == 20).all()  # 20 quarters in 60 months
    assert waves["respondents"].between(120, 260).all()
    assert (waves["n_eff"] < waves["respondents"]).all()  # weights cost precision
    share = waves["weighted_yes"] / waves["weighted_n"]
    assert share[waves["question"] == "asb_problem"].mean() < 0.35
    assert share[waves["question"] == "feel_safe_night"].mean() > 0.5


def test_district_names() -> None:
    assert DISTRICT_NAMES[:6] == ("Ashcombe", "Brackenford", "Calder Vale", "Dunmore",
                                  "Eastwick and Fenby", "Greyhaven")
    assert MAX_PARTNERSHIPS >= 40
    assert len({slugify(n) for n in DISTRICT_NAMES}) == len(DISTRICT_NAMES)


def test_no_district_is_a_real_local_authority() -> None:
    lookup = SHARED / "data" / "ons" / "lad-to-csp-to-pfa-2017.csv"
    census = SHARED / "data" / "ons" / "population-census2011-lad.csv"
    if not lookup.is_file() or not census.is_file():
        pytest.skip(f"{lookup.parent} is absent: clone the shared data beside the repository")
    real = set(pd.read_csv(lookup, encoding="utf-8-sig")["LAD17NM"])
    real |= set(pd.read_csv(census)["Local Authority"].str.removesuffix(" UA"))
    assert not real & set(DISTRICT_NAMES)


def _write_small(out: Path, seed: int = 7) -> DemoManifest:
    return write_demo(out, partnerships=2, months=24, last_month="2024-06", seed=seed)


def test_same_arguments_give_byte_identical_files(tmp_path: Path) -> None:
    first, second = _write_small(tmp_path / "a"), _write_small(tmp_path / "b")
    assert first.files == second.files
    for relative in first.files:
        assert (tmp_path / "a" / relative).read_bytes() == (tmp_path / "b" / relative).read_bytes()
    assert digest(tmp_path / "a", first) == digest(tmp_path / "b", second)
    other = _write_small(tmp_path / "c", seed=8)
    assert digest(tmp_path / "c", other) != digest(tmp_path / "a", first)


def test_rewriting_replaces_an_earlier_demo_without_stale_months(tmp_path: Path) -> None:
    write_demo(tmp_path / "d", partnerships=1, months=24, last_month="2024-06")
    again = write_demo(tmp_path / "d", partnerships=1, months=13, last_month="2024-06")
    on_disk = sorted(p.relative_to(tmp_path / "d").as_posix()
                     for p in (tmp_path / "d").rglob("*") if p.is_file())
    assert on_disk == sorted(again.files)


def test_a_folder_with_other_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mine.csv").write_text("x\n", encoding="utf-8")
    with pytest.raises(CdrpError, match="not written by `cdrp demo-data`"):
        write_demo(tmp_path)
    assert (tmp_path / "mine.csv").exists()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"partnerships": 0}, "partnerships"),
    ({"partnerships": MAX_PARTNERSHIPS + 1}, "partnerships"),
    ({"months": 12}, "months"),
    ({"last_month": "2025-13"}, "YYYY-MM"),
])
def test_bad_arguments_are_refused(tmp_path: Path, kwargs: dict[str, object],
                                   message: str) -> None:
    with pytest.raises(ValueError, match=message):
        write_demo(tmp_path / "x", **kwargs)  # type: ignore[arg-type]


def test_cli_writes_the_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["demo-data", "--out", str(tmp_path / "cli"), "--partnerships", "2",
                 "--months", "13", "--last-month", "2024-12", "--seed", "3"])
    out = capsys.readouterr().out
    assert code == 0
    assert "SYNTHETIC" in out and "ashcombe, brackenford" in out
    assert (tmp_path / "cli" / "police_uk" / "2024-12" / "2024-12-demoshire-street.csv").is_file()


def test_cli_error_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["demo-data", "--out", str(tmp_path), "--partnerships", "99"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "partnerships" in err


def test_cli_help_states_the_real_limit() -> None:
    from cdrp_lib.cli import build_parser
    help_text = build_parser()._subparsers._group_actions[0].choices[  # type: ignore[union-attr]
        "demo-data"].format_help()
    assert f"1 to {MAX_PARTNERSHIPS}" in " ".join(help_text.split())


def test_town_centre_codes_are_the_params_ones() -> None:
    assert TOWN_CENTRE_LSOAS == ("E01901001", "E01901002", "E01901003", "E01901004")
    params = Path(__file__).resolve().parents[1] / "params" / "partnerships"
    centre = params / "ashcombe-town-centre.yaml"
    if not centre.is_file():
        pytest.skip(f"{centre} not written yet")
    text = centre.read_text(encoding="utf-8")
    assert all(code in text for code in TOWN_CENTRE_LSOAS)
    assert Counter(re.findall(r"E019\d{5}", text)) == Counter(TOWN_CENTRE_LSOAS)
