"""cdrp_lib.params: every validation rule fires on a tiny bad file, naming file, line and key."""

from __future__ import annotations

import itertools
import shutil
import textwrap
from datetime import date
from pathlib import Path

import pytest
import yaml

from cdrp_lib.errors import NotFoundError, ParamsError, Problem
from cdrp_lib.params import (
    BulletinParams,
    IncreaseTarget,
    MilestonesTarget,
    MonitorTarget,
    Partnership,
    ReductionTarget,
    load_bulletin,
    load_measures,
    load_partnership,
    load_partnerships,
    method_settings,
    read_lsoa_lookup,
)
from cdrp_lib.stats.enums import Polarity
from cdrp_lib.validation import problems_from_validation

REPO_PARAMS = Path(__file__).resolve().parents[1] / "params"

# One valid target, written out in full; tests change one key at a time.
TARGET = """\
  - id: vehicle-crime
    kind: reduction
    measure: vehicle-crime
    percent: 5
    outcome: D3a
    outcome_title: To reduce theft of and from motor vehicles
    title: Reduce vehicle crime by 5% by March 2027
    lead: Police
    baseline: 2023/24
    strategy: {start: 2024-04, end: 2027-03}
"""


@pytest.fixture
def params_dir(tmp_path: Path) -> Path:
    """A params folder holding the real measures.yaml and no partnerships yet."""
    shutil.copy(REPO_PARAMS / "measures.yaml", tmp_path / "measures.yaml")
    (tmp_path / "partnerships").mkdir()
    return tmp_path


def write(params_dir: Path, stem: str, body: str, *, targets: str = TARGET,
          header: str | None = None) -> Path:
    """Write partnerships/<stem>.yaml: a default header (id = stem) plus ``body`` and targets."""
    head = header if header is not None else (
        f"id: {stem}\nname: {stem.title()} CSP\narea: {{districts: [{stem.title()}]}}\n")
    text = head + textwrap.dedent(body) + ("targets:\n" + targets if targets else "")
    path = params_dir / "partnerships" / f"{stem}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(params_dir: Path) -> tuple[Problem, ...]:
    with pytest.raises(ParamsError) as info:
        load_partnerships(params_dir)
    return info.value.problems


def one(params_dir: Path, key: str, says: str, file: str = "") -> Problem:
    """The one problem at ``key``; asserts it names the file and says ``says``."""
    found = [p for p in problems(params_dir) if p.column == key]
    assert found, f"no problem at {key}: {[str(p) for p in problems(params_dir)]}"
    p = found[0]
    assert p.file.endswith(file or ".yaml")
    assert says in p.rule, p.rule
    assert key in str(p) and p.file in str(p)
    return p


def target(**changes: object) -> str:
    """TARGET with keys replaced (None removes a key), as YAML list text."""
    data = yaml.safe_load("x:\n" + TARGET)["x"][0]
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return textwrap.indent(yaml.safe_dump([data], sort_keys=False), "  ")


# --------------------------------------------------------------------------- valid files


def test_valid_partnership_loads_with_defaults_from_measure(params_dir: Path) -> None:
    write(params_dir, "kettering", "peers: [corby]\n")
    p = load_partnership(params_dir, "kettering")
    t = p.targets[0]
    assert isinstance(t, ReductionTarget)
    assert (t.theme, t.polarity, t.percent) == ("acquisitive_crime", Polarity.LOWER_IS_BETTER, 5)
    assert (t.baseline.start, t.baseline.end, t.baseline.label) == ("2023-04", "2024-03", "2023/24")
    assert t.target_date == "2027-03" and t.strategy.months == 36
    assert p.population.from_districts and p.peer_group == ("kettering", "corby")
    assert p.area_spec.districts == frozenset({"Kettering"})


def test_target_defaults_and_outcome_titles_fill_targets(params_dir: Path) -> None:
    write(params_dir, "corby", """\
        outcomes: {P4: Tackle anti-social behaviour}
        target_defaults:
          baseline: 2011/12
          strategy: {start: 2012-04, end: 2013-03}
          lead: Corby Borough Council
        """, targets="""\
  - {id: asb, kind: reduction, measure: anti-social-behaviour, percent: 5, outcome: P4, title: t}
  - {id: cd, kind: improvement, measure: criminal-damage-arson, outcome: P4, title: t,
     lead: Police}
""")
    asb, cd = load_partnership(params_dir, "corby").targets
    assert asb.outcome_title == "Tackle anti-social behaviour"
    assert asb.baseline is not None and asb.baseline.label == "2011/12"
    assert (asb.lead, cd.lead) == ("Corby Borough Council", "Police")


def test_polarity_override_beats_the_measure(params_dir: Path) -> None:
    write(params_dir, "x", "", targets=target(
        id="class-a", kind="increase", measure="drugs", percent=25,
        polarity="higher_is_better"))
    t = load_partnership(params_dir, "x").targets[0]
    assert isinstance(t, IncreaseTarget) and t.polarity is Polarity.HIGHER_IS_BETTER


def test_every_target_kind_is_expressible(params_dir: Path) -> None:
    write(params_dir, "town", """\
        area: {lsoas: [E01901001, E01901002], parent: x}
        population: {2024: 6250, 2025: 6290}
        """, header="id: town\nname: Town centre\n", targets=target(id="v", percent=10))
    kinds = "".join([
        target(id="a"),
        target(id="b", kind="level", percent=None, value=400),
        target(id="c", kind="rate", measure="da-repeat-rate", percent=None, value=28,
               unit="percent"),
        target(id="d", kind="rate", measure="all-crime", percent=None, value=80.5,
               unit="per_1000"),
        target(id="e", kind="increase", measure="da-crimes", percent=None, to=600),
        target(id="f", kind="improvement", percent=None),
        target(id="g", kind="maintenance", percent=None),
        target(id="h", kind="milestones", percent=None, rounding="floor_steps",
               steps={"2024/25": 1095, "2025/26": 1050, "2026/27": 1005}),
        target(id="i", kind="survey", measure="survey-deal-with-issues", percent=None,
               value=73),
        target(id="k", sub_area={"name": "Town centre", "partnership": "town"}),
        target(id="m", kind="monitor", measure=None, percent=None, baseline=None,
               strategy=None, reason="No public data", theme="summary",
               polarity="lower_is_better", plan_target="40 a year"),
        target(id="n", rag_override={"rating": "A", "reason": "Recording change"}),
    ])
    write(params_dir, "x", "", targets=kinds)
    both = load_partnerships(params_dir)
    x = both["x"]
    assert [t.kind for t in x.targets] == [
        "reduction", "level", "rate", "rate", "increase", "improvement", "maintenance",
        "milestones", "survey", "reduction", "monitor", "reduction"]
    steps = x.target("h")
    assert isinstance(steps, MilestonesTarget) and steps.final_level == 1005
    monitor = x.target("m")
    assert isinstance(monitor, MonitorTarget) and monitor.measure is None
    assert monitor.in_force("1999-01")
    assert x.target("n").rag_override is not None
    town = both["town"]
    assert town.is_sub_area and town.population.for_year(2026) == 6290
    assert town.population.for_year(2023) is None
    assert town.area_spec.contains("E01901002", "X 001B")
    assert not town.area_spec.contains("E01901003", "X 001C")


def test_targets_in_force_and_for_measure(params_dir: Path) -> None:
    write(params_dir, "x", "", targets=target(id="old", strategy={
        "start": "2005-04", "end": "2008-03"}, baseline="2003/04") + target(id="new"))
    p = load_partnership(params_dir, "x")
    assert [t.id for t in p.targets_in_force("2025-12")] == ["new"]
    assert [t.id for t in p.targets_in_force("2006-01")] == ["old"]
    assert len(p.targets_for_measure("vehicle-crime")) == 2
    with pytest.raises(NotFoundError, match="no target 'nope'"):
        p.target("nope")


def test_months_stay_strings_and_round_trip(params_dir: Path) -> None:
    write(params_dir, "x", "", targets=target(
        baseline={"start": "2019-01", "end": "2019-12"}))
    # safe_load above would have kept "2019-01" a string anyway; check the file says 2019-01
    text = (params_dir / "partnerships" / "x.yaml").read_text()
    assert "start: 2019-01\n" in text or "start: '2019-01'" in text
    p = load_partnership(params_dir, "x")
    t = p.targets[0]
    assert t.baseline is not None
    assert t.baseline.start == "2019-01" and isinstance(t.baseline.start, str)
    dumped = p.model_dump(mode="json")
    again = yaml.safe_load(yaml.safe_dump(dumped))
    assert again["targets"][0]["baseline"]["start"] == "2019-01"
    assert again["targets"][0]["strategy"] == {"start": "2024-04", "end": "2027-03",
                                               "label": None}
    assert Partnership.model_validate(again).targets == p.targets


def test_models_are_frozen(params_dir: Path) -> None:
    write(params_dir, "x", "")
    p = load_partnership(params_dir, "x")
    with pytest.raises(ValueError, match="frozen"):
        p.name = "other"  # type: ignore[misc]
    with pytest.raises(ValueError, match="frozen"):
        p.targets[0].title = "other"  # type: ignore[misc]


def test_no_partnerships_folder_means_none(tmp_path: Path) -> None:
    assert load_partnerships(tmp_path) == {}


def test_unknown_partnership_is_not_found(params_dir: Path) -> None:
    write(params_dir, "x", "")
    with pytest.raises(NotFoundError, match=r"no partnership 'hinckley-and-bosworth'.*x"):
        load_partnership(params_dir, "hinckley-and-bosworth")


# --------------------------------------------------------------------------- rules that fire


def test_message_style_names_file_line_key_and_values(params_dir: Path) -> None:
    path = write(params_dir, "x", "", targets=target(polarity="down"))
    p = one(params_dir, "targets[0].polarity",
            "`polarity` must be one of 'lower_is_better', 'higher_is_better', got 'down'")
    assert p.file == str(path)
    line = path.read_text().splitlines()[p.line - 1 if p.line else 0]
    assert line.strip().startswith("polarity: down")
    assert (p.expected, p.found) == ("one of 'lower_is_better', 'higher_is_better'", "'down'")


def test_id_must_equal_file_stem(params_dir: Path) -> None:
    write(params_dir, "kettering", "", header="id: ketering\nname: K\narea: {districts: [K]}\n")
    one(params_dir, "id", "must equal the file name 'kettering', got 'ketering'")


def test_target_measure_must_exist(params_dir: Path) -> None:
    write(params_dir, "x", "", targets=target(measure="domestic-burglary"))
    found = problems(params_dir)
    assert [p.column for p in found] == ["targets[0].measure"]  # no theme/polarity noise
    assert "must be a measure in measures.yaml, got 'domestic-burglary'" in found[0].rule


def test_set_targets_need_a_measure(params_dir: Path) -> None:
    write(params_dir, "x", "", targets=target(measure=None))
    one(params_dir, "targets[0].measure", "is required")


def test_peers_must_be_partnerships_or_district_ids(params_dir: Path) -> None:
    write(params_dir, "x", "peers: [x, y, hinckley-and-bosworth, Not Slug, y]\n")
    write(params_dir, "y", "")
    one(params_dir, "peers[3]", "must be a lower-case id")


def test_peers_must_not_list_itself_or_repeat(params_dir: Path) -> None:
    write(params_dir, "x", "peers: [x, y, y]\n")
    write(params_dir, "y", "")
    rules = [p.rule for p in problems(params_dir) if p.column == "peers"]
    assert any("must not list the partnership itself" in r for r in rules)
    assert any("lists 'y' more than once" in r for r in rules)


def test_sub_area_parent_must_exist(params_dir: Path) -> None:
    write(params_dir, "town", "population: {2024: 6000}\n",
          header="id: town\nname: T\narea: {lsoas: [E01901001], parent: ashcombe}\n")
    one(params_dir, "area.parent", "must be a partnership in partnerships/, got 'ashcombe'")


def test_sub_area_parent_cannot_be_itself_or_a_sub_area(params_dir: Path) -> None:
    write(params_dir, "a", "population: {2024: 100}\n",
          header="id: a\nname: A\narea: {lsoas: [E01901001], parent: a}\n")
    write(params_dir, "b", "population: {2024: 100}\n",
          header="id: b\nname: B\narea: {lsoas: [E01901002], parent: c}\n")
    write(params_dir, "c", "population: {2024: 100}\n",
          header="id: c\nname: C\narea: {districts: [C], parent: x}\n")
    write(params_dir, "x", "")
    found = {p.file.rsplit("/", 1)[-1]: p.rule for p in problems(params_dir)
             if p.column == "area.parent"}
    assert "got itself" in found["a.yaml"]
    assert "is itself a sub-area of 'x'" in found["b.yaml"]


def test_sub_area_target_must_name_a_sub_area_of_this_partnership(params_dir: Path) -> None:
    write(params_dir, "town", "population: {2024: 6000}\n",
          header="id: town\nname: T\narea: {lsoas: [E01901001], parent: y}\n")
    write(params_dir, "y", "")
    write(params_dir, "x", "", targets=target(sub_area={"name": "T", "partnership": "town"})
          + target(id="b", sub_area={"name": "Q", "partnership": "ghost"}))
    one(params_dir, "targets[0].sub_area.partnership", "must be a sub-area of 'x'")
    one(params_dir, "targets[1].sub_area.partnership", "got 'ghost'")


def test_baseline_must_end_before_the_strategy_ends(params_dir: Path) -> None:
    write(params_dir, "x", "", targets=target(baseline="2026/27"))
    one(params_dir, "targets[0].baseline.end", "must be before the strategy ends (2027-03)")


def test_periods_must_run_forwards(params_dir: Path) -> None:
    write(params_dir, "x", "", targets=target(
        baseline={"start": "2024-03", "end": "2023-04"},
        strategy={"start": "2027-03", "end": "2024-04"}))
    one(params_dir, "targets[0].baseline.start", "must not be after `end`")
    one(params_dir, "targets[0].strategy.end", "must not be before `start`")


def test_milestones_must_cover_the_strategy_years(params_dir: Path) -> None:
    write(params_dir, "x", "", targets=target(
        kind="milestones", percent=None, steps={"2024/25": 10, "2026/27": 8}))
    one(params_dir, "targets[0].steps",
        "one level for each strategy year 2024/25, 2025/26, 2026/27, got 2024/25, 2026/27")


def test_milestones_need_april_to_march(params_dir: Path) -> None:
    write(params_dir, "x", "", targets=target(
        kind="milestones", percent=None, steps={"2024/25": 10},
        strategy={"start": "2024-01", "end": "2024-12"}, baseline="2022/23"))
    one(params_dir, "targets[0].strategy", "must run from an April to a March")


def test_milestone_years_must_be_financial_years(params_dir: Path) -> None:
    write(params_dir, "x", "", targets=target(kind="milestones", percent=None,
                                              steps={"2024": 10}))
    one(params_dir, "targets[0].steps.2024", "must be a financial year 'YYYY/YY'")


@pytest.mark.parametrize(("override", "says"), [
    ({"rating": "G"}, "`reason` is required: a RAG override must say why"),
    ({"rating": "G", "reason": "  "}, "`reason` must not be empty"),
])
def test_rag_override_needs_a_reason(params_dir: Path, override: dict[str, str],
                                     says: str) -> None:
    write(params_dir, "x", "", targets=target(rag_override=override))
    one(params_dir, "targets[0].rag_override.reason", says)


def test_rag_override_rating_is_a_letter(params_dir: Path) -> None:
    write(params_dir, "x", "", targets=target(rag_override={"rating": "Green", "reason": "r"}))
    one(params_dir, "targets[0].rag_override.rating", "must be one of 'G', 'A', 'R', got 'Green'")


def test_rag_override_until_and_by(params_dir: Path) -> None:
    override = {"rating": "G", "reason": "r", "until": "2025-11", "by": "the CSP manager"}
    write(params_dir, "x", "", targets=target(rag_override=override))
    got = load_partnership(params_dir, "x").targets[0].rag_override
    assert got is not None and (got.until, got.by) == ("2025-11", "the CSP manager")
    assert got.applies_in("2025-11") and not got.applies_in("2025-12")


@pytest.mark.parametrize(("changes", "key", "says"), [
    ({"until": "2025-13"}, "until", "must be a month 'YYYY-MM', got '2025-13'"),
    ({"until": date(2025, 11, 30)}, "until", "got the full date 2025-11-30"),
    ({"by": " "}, "by", "`by` must not be empty"),
])
def test_rag_override_until_is_a_month_and_by_is_text(
        params_dir: Path, changes: dict[str, object], key: str, says: str) -> None:
    write(params_dir, "x", "", targets=target(rag_override={"rating": "G", "reason": "r",
                                                            **changes}))
    one(params_dir, f"targets[0].rag_override.{key}", says)


def test_a_full_date_is_rejected_clearly(params_dir: Path) -> None:
    write(params_dir, "x", "", targets=TARGET.replace("start: 2024-04", "start: 2024-04-01"))
    p = one(params_dir, "targets[0].strategy.start",
            "must be a month 'YYYY-MM', got the full date 2024-04-01")
    assert "write the month only" in p.rule


@pytest.mark.parametrize("bad", ["2024-13", "'2024-4'", "202404"])
def test_a_bad_month_is_rejected(params_dir: Path, bad: str) -> None:
    write(params_dir, "x", "", targets=TARGET.replace("start: 2024-04", f"start: {bad}"))
    one(params_dir, "targets[0].strategy.start", "must be a month 'YYYY-MM', got")


def test_a_bad_financial_year_is_rejected(params_dir: Path) -> None:
    write(params_dir, "x", "", targets=target(baseline="2023/25"))
    one(params_dir, "targets[0].baseline", "must be a financial year 'YYYY/YY'")


@pytest.mark.parametrize(("kind", "says"), [
    ("nope", "`kind` must be one of 'reduction', 'level'"),
    (None, "`kind` is required"),
])
def test_kind_must_be_known(params_dir: Path, kind: str | None, says: str) -> None:
    write(params_dir, "x", "", targets=target(kind=kind))
    one(params_dir, "targets[0].kind", says)


def test_extra_and_missing_keys(params_dir: Path) -> None:
    write(params_dir, "x", "", targets=target(lead=None, colour="red"))
    one(params_dir, "targets[0].lead", "`lead` is required")
    one(params_dir, "targets[0].colour", "`colour` is not a known key here")


@pytest.mark.parametrize(("changes", "key", "says"), [
    ({"percent": 0}, "targets[0].percent", "`percent` must be greater than 0, got 0"),
    ({"percent": 120}, "targets[0].percent", "less than or equal to 100"),
    ({"kind": "level", "percent": None, "value": -1}, "targets[0].value", "greater than or equal"),
    ({"kind": "monitor", "percent": None}, "targets[0].reason", "`reason` is required"),
    ({"lag_months": -2}, "targets[0].lag_months", "greater than or equal to 0"),
    ({"title": ""}, "targets[0].title", "must not be empty"),
    ({"id": "Vehicle Crime"}, "targets[0].id", "must be a lower-case id"),
])
def test_field_rules(params_dir: Path, changes: dict[str, object], key: str, says: str) -> None:
    write(params_dir, "x", "", targets=target(**changes))
    one(params_dir, key, says)


def test_increase_needs_exactly_one_amount(params_dir: Path) -> None:
    write(params_dir, "x", "", targets=target(
        kind="increase", measure="da-crimes", percent=10, to=600))
    one(params_dir, "targets[0]", "exactly one of `percent`, `amount`, `to`")


@pytest.mark.parametrize(("changes", "says"), [
    ({"polarity": "higher_is_better"}, "must be 'lower_is_better' for a reduction target"),
    ({"kind": "increase", "measure": "drugs"},
     "must be 'higher_is_better' for a increase target"),
])
def test_direction_must_fit_the_kind(params_dir: Path, changes: dict[str, object],
                                     says: str) -> None:
    write(params_dir, "x", "", targets=target(**changes))
    one(params_dir, "targets[0].polarity", says)


def test_rate_unit_must_fit_the_measure(params_dir: Path) -> None:
    write(params_dir, "x", "", targets=target(kind="rate", percent=None, value=28,
                                              unit="percent")
          + target(id="b", kind="rate", measure="da-repeat-rate", percent=None, value=128))
    one(params_dir, "targets[0].unit", "needs a proportion measure, got 'vehicle-crime'")
    one(params_dir, "targets[1].value", "must be a percentage up to 100, got 128")


def test_survey_target_needs_a_survey_measure(params_dir: Path) -> None:
    write(params_dir, "x", "", targets=target(kind="survey", percent=None, value=60))
    one(params_dir, "targets[0].measure", "must be a survey measure")


def test_survey_index_target_is_refused_with_the_monitor_route(params_dir: Path) -> None:
    # survey measures are shares of respondents: an index score cannot be compared with them
    write(params_dir, "x", "", targets=target(kind="survey", measure="survey-asb-problem",
                                              percent=None, value=4478, unit="index"))
    p = one(params_dir, "targets[0].unit", "an index score cannot be assessed")
    assert "kind: monitor" in p.rule and "plan_target" in p.rule


def test_measureless_monitor_needs_theme_and_polarity(params_dir: Path) -> None:
    write(params_dir, "x", "", targets=target(kind="monitor", measure=None, percent=None,
                                              reason="No data"))
    one(params_dir, "targets[0].theme", "`theme` is required")
    one(params_dir, "targets[0].polarity", "`polarity` is required")


def test_outcome_title_is_needed_somewhere(params_dir: Path) -> None:
    write(params_dir, "x", "outcomes: {Q1: Other outcome}\n",
          targets=target(outcome_title=None))
    one(params_dir, "targets[0].outcome_title", "`outcome_title` is required")


def test_target_ids_are_unique(params_dir: Path) -> None:
    write(params_dir, "x", "", targets=TARGET + TARGET)
    one(params_dir, "targets[1].id", "is used by another target")


def test_target_defaults_only_take_known_keys(params_dir: Path) -> None:
    write(params_dir, "x", "target_defaults: {percent: 5}\n")
    one(params_dir, "target_defaults.percent", "cannot be a target default")
    assert len(problems(params_dir)) == 1  # not repeated as an extra key on every target
    write(params_dir, "x", "target_defaults: [baseline]\n")
    one(params_dir, "target_defaults", "must be a mapping")


def test_area_needs_districts_or_lsoas(params_dir: Path) -> None:
    write(params_dir, "x", "", header="id: x\nname: X\narea: {parent: y}\n")
    one(params_dir, "area", "must list `districts` or `lsoas` (or both), got neither")


def test_lsoa_codes_are_checked_and_unique(params_dir: Path) -> None:
    write(params_dir, "x", "population: {2024: 100}\n",
          header="id: x\nname: X\narea: {lsoas: [E01901001, E1901002]}\n")
    one(params_dir, "area.lsoas[1]", "must be an LSOA code such as 'E01027393', got 'E1901002'")
    write(params_dir, "x", "population: {2024: 100}\n",
          header="id: x\nname: X\narea: {lsoas: [E01901001, E01901001]}\n")
    one(params_dir, "area.lsoas", "lists 'E01901001' more than once")


def test_lsoa_only_area_needs_an_explicit_population(params_dir: Path) -> None:
    write(params_dir, "x", "", header="id: x\nname: X\narea: {lsoas: [E01901001]}\n")
    one(params_dir, "population", "must be explicit `{year: count}` for an area given only by")


@pytest.mark.parametrize(("population", "says"), [
    ("{from_districts: true, 2024: 5}", "not both"),
    ("{20x4: 5}", "must map years such as 2021 to counts, got the key '20x4'"),
    ("{2024: -5}", "must give a positive whole count for 2024, got -5"),
    ("[]", "must be `from_districts: true` or a mapping"),
])
def test_population_forms(params_dir: Path, population: str, says: str) -> None:
    write(params_dir, "x", f"population: {population}\n")
    one(params_dir, "population", says)


def test_lookup_file_must_exist(params_dir: Path) -> None:
    write(params_dir, "x", "",
          header="id: x\nname: X\narea: {districts: [X], lsoa_lookup: reference/none.csv}\n")
    one(params_dir, "area.lsoa_lookup", "must be a CSV file relative to")


def test_lookup_rows_are_validated_with_line_numbers(params_dir: Path) -> None:
    ref = params_dir / "reference"
    ref.mkdir()
    (ref / "l.csv").write_text(
        "# comment, with commas\nlsoa_code,district\nE01000001,Kettering\nE0100002,Corby\n"
        "E01000003,\nE01000001,Corby\nE01000004,Corby,extra\n", encoding="utf-8")
    lookup, found = read_lsoa_lookup(ref / "l.csv")
    assert lookup == {"E01000001": "Kettering"}
    assert [(p.line, p.rule) for p in found] == [
        (4, "not an LSOA code"), (5, "empty district"), (6, "LSOA code given two districts"),
        (7, "wrong number of fields")]
    (ref / "h.csv").write_text("code,name\nE01000001,Kettering\n", encoding="utf-8")
    assert read_lsoa_lookup(ref / "h.csv")[1][0].rule == "wrong header"
    assert read_lsoa_lookup(ref / "missing.csv")[1][0].rule == "cannot read the LSOA lookup"
    write(params_dir, "x", "",
          header="id: x\nname: X\narea: {districts: [Kettering], lsoa_lookup: reference/l.csv}\n")
    assert any(p.line == 4 and p.file.endswith("l.csv") for p in problems(params_dir))


def test_districts_must_be_spelt_as_in_the_lookup(params_dir: Path) -> None:
    ref = params_dir / "reference"
    ref.mkdir()
    (ref / "l.csv").write_text("lsoa_code,district\nE01000001,Kettering\n", encoding="utf-8")
    write(params_dir, "x", "",
          header="id: x\nname: X\narea: {districts: [Ketering], lsoa_lookup: reference/l.csv}\n")
    one(params_dir, "area.districts[0]", "names 'Ketering', which reference/l.csv does not")


def test_lookup_resolves_old_districts_for_new_lsoa_names(params_dir: Path) -> None:
    ref = params_dir / "reference"
    ref.mkdir()
    (ref / "l.csv").write_text("lsoa_code,district\nE01027079,Kettering\nE01026949,Corby\n",
                               encoding="utf-8")
    write(params_dir, "x", "",
          header="id: x\nname: X\narea: {districts: [Kettering], lsoa_lookup: reference/l.csv}\n")
    area = load_partnership(params_dir, "x").area_spec
    assert area.lookup == {"E01027079": "Kettering", "E01026949": "Corby"}
    assert area.contains("E01027079", "North Northamptonshire 005A")
    assert not area.contains("E01026949", "North Northamptonshire 001A")


def test_settings_are_checked_against_the_methods(params_dir: Path) -> None:
    write(params_dir, "x", "settings: {tolerance: 2, trend_method: magic, colour: red}\n")
    found = {p.column: p.rule for p in problems(params_dir)}
    assert "less than 1" in found["settings.tolerance"]
    assert "must be one of 'ols'" in found["settings.trend_method"]
    assert "not a known key" in found["settings.colour"]


def test_file_level_problems(params_dir: Path) -> None:
    (params_dir / "partnerships" / "a.yaml").write_text("- just a list\n", encoding="utf-8")
    (params_dir / "partnerships" / "b.yaml").write_text("id: b\nname: [unclosed\n",
                                                        encoding="utf-8")
    with pytest.raises(ParamsError) as info:
        load_partnerships(params_dir)
    by_file = {Path(p.file).name: p for p in info.value.problems}
    assert by_file["b.yaml"].rule == "not valid YAML" and by_file["b.yaml"].line == 3
    assert "flow sequence from line 2" in by_file["b.yaml"].found
    assert by_file["a.yaml"].rule == "a partnership file must be a mapping"
    (params_dir / "partnerships" / "b.yaml").write_bytes(b"id: b\nname: \xff\n")
    with pytest.raises(ParamsError, match="not UTF-8"):
        load_partnerships(params_dir)
    one(params_dir, "", "a partnership file must be a mapping", "a.yaml")  # reported too


def test_all_problems_in_all_files_are_reported_together(params_dir: Path) -> None:
    write(params_dir, "x", "peers: [Bad Peer]\n", targets=target(polarity="down")
          + target(id="b", baseline="2026/27"))
    write(params_dir, "y", "", header="id: z\nname: Y\narea: {districts: [Y]}\n")
    found = problems(params_dir)
    assert {(Path(p.file).name, p.column) for p in found} == {
        ("x.yaml", "peers[0]"), ("x.yaml", "targets[0].polarity"),
        ("x.yaml", "targets[1].baseline.end"), ("y.yaml", "id")}
    lines = [p.line for p in found if p.file.endswith("x.yaml")]
    assert lines == sorted(lines)


def test_problems_from_validation_keeps_its_prefix_contract() -> None:
    from pydantic import ValidationError

    from cdrp_lib.params import Measure

    with pytest.raises(ValidationError) as info:
        Measure.model_validate({"id": "x", "name": "X", "theme": "summary", "source": "police",
                                "polarity": "down"})
    (p,) = problems_from_validation("measures.yaml", info.value, prefix="measures[3]")
    assert p.column == "measures[3].polarity" and "got 'down'" in p.rule


def test_duplicate_measure_ids_fire(tmp_path: Path) -> None:
    (tmp_path / "measures.yaml").write_text(
        "measures:\n"
        "  - {id: a, name: A, theme: summary, source: police, polarity: lower_is_better}\n"
        "  - {id: a, name: A, theme: summary, source: police, polarity: lower_is_better}\n",
        encoding="utf-8")
    with pytest.raises(ParamsError) as info:
        load_measures(tmp_path)
    (p,) = info.value.problems
    assert (p.rule, p.column, p.line) == ("duplicate measure id", "measures[1].id", 3)


def test_an_unknown_police_category_names_it_and_the_allowed_names(tmp_path: Path) -> None:
    (tmp_path / "measures.yaml").write_text(
        "measures:\n"
        "  - {id: a, name: A, theme: summary, source: police, polarity: lower_is_better,\n"
        "     categories: [burglary, burglery]}\n", encoding="utf-8")
    with pytest.raises(ParamsError) as info:
        load_measures(tmp_path)
    (p,) = info.value.problems
    assert p.column == "measures[0].categories[1]" and p.line is not None
    assert "'burglery'" in p.rule and "burglary, criminal-damage-arson" in p.rule


def test_police_categories_are_the_crime_types_ingest_knows() -> None:
    from cdrp_lib.params.fields import POLICE_CATEGORIES
    from cdrp_lib.sources.police_uk import CRIME_TYPE_SLUGS

    assert frozenset(CRIME_TYPE_SLUGS.values()) == POLICE_CATEGORIES


# --------------------------------------------------------------------------- bulletin


BULLETIN = """\
organisation: Unit
themes:
  - {id: summary, title: Summary}
  - {id: violence, title: Violence}
  - {id: acquisitive_crime, title: Acquisitive}
  - {id: asb, title: ASB}
  - {id: domestic_abuse, title: DA}
  - {id: perception, title: Perception}
settings: {tolerance: 0.2}
sources:
  police: {name: data.police.uk, lag_months: 2}
  domestic_abuse: {name: DA extract, lag_months: 1}
  survey: {name: Residents' survey, lag_months: 3}
  fire: {name: Fire and rescue service, lag_months: 1}
  road-safety: {name: Road safety partnership, lag_months: 3}
  youth-justice: {name: Youth Offending Service, lag_months: 3}
  probation: {name: Probation, lag_months: 6}
  police-local: {name: The force's own extract, lag_months: 1}
  county: {name: County figures, lag_months: 1}
"""


def test_bulletin_loads_and_merges_settings(params_dir: Path) -> None:
    (params_dir / "bulletin.yaml").write_text(BULLETIN, encoding="utf-8")
    bulletin = load_bulletin(params_dir)
    assert isinstance(bulletin, BulletinParams)
    assert bulletin.theme_title("asb") == "ASB" and bulletin.theme_order[0] == "summary"
    assert bulletin.security_marking == "OFFICIAL"
    assert method_settings(bulletin).tolerance == pytest.approx(0.2)
    write(params_dir, "x", "settings: {tolerance: 0.05}\n")
    p = load_partnership(params_dir, "x")
    assert method_settings(bulletin, p).tolerance == pytest.approx(0.05)
    assert method_settings(bulletin, p).trend_window == 24
    with pytest.raises(NotFoundError):
        bulletin.theme_title("youth")


def test_merged_settings_are_checked(params_dir: Path) -> None:
    (params_dir / "bulletin.yaml").write_text(
        BULLETIN.replace("{tolerance: 0.2}", "{funnel_level: 0.99}"), encoding="utf-8")
    write(params_dir, "x", "settings: {funnel_outer_level: 0.98}\n")
    with pytest.raises(ParamsError, match=r"partnerships/x.yaml.*funnel_outer_level"):
        method_settings(load_bulletin(params_dir), load_partnership(params_dir, "x"))


@pytest.mark.parametrize(("change", "key", "says"), [
    (("  - {id: summary, title: Summary}\n", ""), "themes",
     "must list 'summary' (the front page)"),
    (("  - {id: asb, title: ASB}\n", "  - {id: asb, title: ASB}\n  - {id: asb, title: A}\n"),
     "themes[4].id", "`id` 'asb' is listed twice (also themes[3])"),
    (("{id: asb,", "{id: Youth Work,"), "themes[3].id", "must be a theme id of lower-case"),
    (("{tolerance: 0.2}", "{z_threshold: -1}"), "settings.z_threshold", "greater than 0"),
    (("lag_months: 2", "lag_months: -1"), "sources.police.lag_months", "greater than or"),
    (("organisation: Unit\n", ""), "organisation", "`organisation` is required"),
])
def test_bulletin_rules(params_dir: Path, change: tuple[str, str], key: str, says: str) -> None:
    (params_dir / "bulletin.yaml").write_text(BULLETIN.replace(*change), encoding="utf-8")
    with pytest.raises(ParamsError) as info:
        load_bulletin(params_dir)
    found = [p for p in info.value.problems if p.column == key]
    assert found and says in found[0].rule, [str(p) for p in info.value.problems]
    assert found[0].file.endswith("bulletin.yaml") and found[0].line


def test_a_missing_params_folder_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ParamsError, match=r"measures\.yaml: missing params file.*--params DIR"):
        load_measures(tmp_path / "nowhere")


def test_an_unknown_peer_names_the_file_line_and_nearest_known_ids(params_dir: Path) -> None:
    from cdrp_lib.params.checks import unknown_peer_problems

    write(params_dir, "x", "peers: [y, north-northamptonshir]\n")
    (p,) = unknown_peer_problems(params_dir, "x", ["y", "north-northamptonshir"],
                                 ["x", "y", "north-northamptonshire", "west-northamptonshire"])
    assert p.column == "peers[1]" and p.line is not None and p.file.endswith("x.yaml")
    assert "nearest: north-northamptonshire, west-northamptonshire" in p.rule


def test_a_byte_that_is_not_utf8_is_given_by_line_and_value(params_dir: Path) -> None:
    (params_dir / "partnerships" / "b.yaml").write_bytes(b"id: b\n# note\nname: Caf\xe9\n")
    with pytest.raises(ParamsError) as info:
        load_partnerships(params_dir)
    (problem,) = [p for p in info.value.problems if Path(p.file).name == "b.yaml"]
    assert (problem.line, problem.found) == (3, "the byte 0xe9 (byte 10 of the line)")


def billion_laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in itertools.pairwise("abcdefghijklmnop"[:levels]):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_is_refused_naming_the_file_and_line(params_dir: Path) -> None:
    """Nine levels of nine aliases expand to 9**9 values; validating them ran for minutes."""
    (params_dir / "partnerships" / "bomb.yaml").write_text(billion_laughs(), encoding="utf-8")
    with pytest.raises(ParamsError) as info:
        load_partnerships(params_dir)
    (problem,) = [p for p in info.value.problems if Path(p.file).name == "bomb.yaml"]
    assert (problem.rule, problem.line) == ("YAML alias bomb", 2)


def test_expanded_size_counts_references_again_and_stops_past_the_limit() -> None:
    from cdrp_lib.params.files import expanded_size

    shared = [1, 2, 3]
    assert expanded_size({"a": shared, "b": shared}, 100) == 1 + 4 + 4
    bomb = yaml.load(billion_laughs(), Loader=yaml.SafeLoader)
    assert expanded_size(bomb, 1000) > 1000
    loop: list[object] = []
    loop.append(loop)
    assert expanded_size(loop, 1000) > 1000


def test_aliases_that_do_not_multiply_are_fine(params_dir: Path) -> None:
    from cdrp_lib.params.files import parse_yaml

    text = "base: &base {window: 12}\nfirst: *base\nsecond: *base\n"
    assert parse_yaml(params_dir / "x.yaml", text)["second"] == {"window": 12}
