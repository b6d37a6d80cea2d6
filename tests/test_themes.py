"""Themes from params (issue 11): the theme list in force, its rules, shared outcomes, the
executive summary by theme and outcome, split ratings, and `cdrp new-theme`.

Every validation rule is made to fire here with its file, line, key and (for a misspelt id)
the nearest ids.  The batch on a partnership with a theme list of its own, with real
Papermill kernels, is tests/test_themes_batch.py.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import textwrap
from pathlib import Path

import pytest
from test_params import TARGET  # one valid target, written out in full

from cdrp_lib.cli import main
from cdrp_lib.cli.new_theme import add_theme
from cdrp_lib.errors import InputError, ParamsError, Problem
from cdrp_lib.pages.summary import outcome_groups, outcome_theme
from cdrp_lib.params import (
    OutcomeParams,
    ThemeParams,
    load_bulletin,
    load_measures,
    load_partnerships,
    themes_in_force,
)
from cdrp_lib.public import PublicAssessment
from cdrp_lib.stats.enums import Rag
from cdrp_lib.stats.rag import RagResult, outcome_rag, split_outcome

PROJECT = Path(__file__).resolve().parents[1]
REPO_PARAMS = PROJECT / "params"

# Kettering 2009's plan: five themes of its own, in the bulletin's order.
PLAN_THEMES = """\
themes:
  - {id: vulnerable, title: Vulnerable Children and Young People}
  - {id: environment, title: Environment}
  - {id: cohesion, title: Community Cohesion}
  - {id: offender-management, title: Offender Management and Repeat Victimisation}
  - {id: drugs-alcohol, title: Drugs and Alcohol}
"""


@pytest.fixture
def params_dir(tmp_path: Path) -> Path:
    """The repository's measures.yaml and bulletin.yaml, and no partnerships yet."""
    root = tmp_path / "params"
    (root / "partnerships").mkdir(parents=True)
    for name in ("measures.yaml", "bulletin.yaml"):
        shutil.copy(REPO_PARAMS / name, root / name)
    return root


def write(params_dir: Path, body: str = "", targets: str = TARGET, stem: str = "x") -> Path:
    head = f"id: {stem}\nname: X CSP\narea: {{districts: [X]}}\n"
    path = params_dir / "partnerships" / f"{stem}.yaml"
    path.write_text(head + textwrap.dedent(body) + ("targets:\n" + targets if targets else ""),
                    encoding="utf-8")
    return path


def problem_at(params_dir: Path, key: str, says: str, loader: str = "partnerships") -> Problem:
    """The problem at ``key``: it names its file and line, and says ``says``."""
    load = {"partnerships": load_partnerships, "bulletin": load_bulletin,
            "measures": load_measures}[loader]
    with pytest.raises(ParamsError) as info:
        load(params_dir)
    found = [p for p in info.value.problems if p.column == key]
    assert found, [str(p) for p in info.value.problems]
    p = found[0]
    assert says in p.rule, p.rule
    assert p.line is not None and p.file in str(p) and key in str(p)
    assert "\n" not in str(p)
    return p


# --------------------------------------------------------------------------- the list in force


def test_the_default_list_is_bulletin_yamls_with_the_summary_first(params_dir: Path) -> None:
    bulletin = load_bulletin(params_dir)
    ids = [t.id for t in themes_in_force(bulletin, None)]
    assert ids == ["summary", "violence", "acquisitive_crime", "asb", "domestic_abuse",
                   "perception"]
    assert [t.notebook_name for t in bulletin.themes] == ids  # each its own notebook
    assert bulletin.theme_title("asb") == "Anti-social behaviour and criminal damage"
    assert next(t for t in bulletin.themes if t.id == "asb").nav_title == "Anti-social behaviour"


def test_a_partnerships_own_list_replaces_it_and_keeps_the_summary(params_dir: Path) -> None:
    write(params_dir, PLAN_THEMES + "target_defaults: {theme: drugs-alcohol}\n")
    p = load_partnerships(params_dir)["x"]
    pages = themes_in_force(load_bulletin(params_dir), p)
    assert [t.id for t in pages] == ["summary", "vulnerable", "environment", "cohesion",
                                     "offender-management", "drugs-alcohol"]
    assert pages[0].title == "Executive summary"  # bulletin.yaml's front page
    assert {t.notebook_name for t in pages[1:]} == {"theme"}  # none names its own notebook
    assert p.targets[0].theme == "drugs-alcohol"


def test_order_places_theme_pages_and_the_list_order_breaks_ties() -> None:
    themes = (ThemeParams(id="b", title="B", order=2), ThemeParams(id="a", title="A"),
              ThemeParams(id="c", title="C", order=1), ThemeParams(id="summary", title="S"))
    from cdrp_lib.params import ordered_themes

    assert themes_in_force(None, None)[0].id == "summary"

    # a has no order: its place in the list (2) ties with b's order 2, and comes after it
    # (b is listed first)
    assert [t.id for t in ordered_themes(themes)] == ["summary", "c", "b", "a"]


def test_a_target_names_its_own_theme_and_outcome(params_dir: Path) -> None:
    write(params_dir, PLAN_THEMES, TARGET.replace("    outcome: D3a\n",
                                                  "    outcome: D3a\n    theme: environment\n"))
    (t,) = load_partnerships(params_dir)["x"].targets
    assert (t.theme, t.outcome) == ("environment", "D3a")


# --------------------------------------------------------------------------- every rule fires


def test_a_target_theme_outside_the_list_names_file_line_key_and_nearest(
        params_dir: Path) -> None:
    write(params_dir, "", TARGET.replace("    outcome: D3a\n", "    outcome: D3a\n"
                                         "    theme: violense\n"))
    p = problem_at(params_dir, "targets[0].theme", "must be a theme of the list in force")
    assert "got 'violense'" in p.rule and "(nearest: violence)" in p.rule
    assert p.file.endswith("partnerships/x.yaml") and p.line == 10


def test_a_theme_taken_from_the_measure_outside_the_partnerships_list_says_so(
        params_dir: Path) -> None:
    write(params_dir, PLAN_THEMES)
    p = problem_at(params_dir, "targets[0].theme", "got 'acquisitive_crime'")
    assert "the theme of measure 'vehicle-crime': give the target its own `theme`" in p.rule


def test_a_theme_id_must_be_a_slug(params_dir: Path) -> None:
    write(params_dir, "themes:\n  - {id: Young People, title: Y}\n", targets="")
    problem_at(params_dir, "themes[0].id", "must be a theme id of lower-case letters")


@pytest.mark.parametrize(("themes", "key", "says"), [
    ("  - {id: a, title: A}\n  - {id: a, title: A again}\n", "themes[1].id",
     "`id` 'a' is listed twice (also themes[0])"),
    ("  - {id: a, title: A, order: 1}\n  - {id: b, title: B, order: 1}\n", "themes[1].order",
     "`order` 1 is already the order of 'a'"),
    ("  - {id: summary, title: Front}\n", "themes", "at least one theme page besides"),
    ("  - {id: a, title: A, order: -1}\n", "themes[0].order", "greater than or equal to 0"),
    ("  - {id: a, title: A, notebook: A.ipynb}\n", "themes[0].notebook", "must be a theme id"),
    ("  - {id: a}\n", "themes[0].title", "`title` is required"),
])
def test_a_partnerships_theme_list_rules(params_dir: Path, themes: str, key: str,
                                         says: str) -> None:
    write(params_dir, "themes:\n" + themes, targets="")
    problem_at(params_dir, key, says)


@pytest.mark.parametrize(("old", "new", "key", "says"), [
    ("  - {id: summary, title: Executive summary, notebook: summary, short_title: Summary}\n",
     "", "themes", "must list 'summary' (the front page)"),
    ("{id: violence, title: Violence, order: 1,", "{id: violence, title: Violence, order: 2,",
     "themes[2].order", "`order` 2 is already the order of 'violence'"),
    ("{id: asb,", "{id: violence,", "themes[3].id", "'violence' is listed twice"),
])
def test_bulletin_theme_list_rules(params_dir: Path, old: str, new: str, key: str,
                                   says: str) -> None:
    path = params_dir / "bulletin.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    problem_at(params_dir, key, says, loader="bulletin")


def test_a_measure_theme_in_no_list_names_the_nearest(params_dir: Path) -> None:
    path = params_dir / "measures.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("theme: perception", "theme: perceptoin", 1), encoding="utf-8")
    p = problem_at(params_dir, next(f"measures[{i}].theme" for i, m in enumerate(
        __import__("yaml").safe_load(text)["measures"]) if m["theme"] == "perception"),
        "got 'perceptoin'", loader="measures")
    assert "(nearest: perception)" in p.rule


def test_a_measure_theme_may_be_a_partnerships_own(params_dir: Path) -> None:
    path = params_dir / "measures.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("theme: perception", "theme: cohesion", 1), encoding="utf-8")
    with pytest.raises(ParamsError):
        load_measures(params_dir)
    write(params_dir, PLAN_THEMES + "target_defaults: {theme: environment}\n")
    assert "cohesion" in {m.theme for m in load_measures(params_dir).values()}


OUTCOMES = """\
outcomes:
  D3a: To reduce theft of and from motor vehicles
  D3b: {title: To reduce retail theft, same_as: D3a}
"""


def test_an_outcome_may_be_assessed_as_another(params_dir: Path) -> None:
    write(params_dir, OUTCOMES)
    p = load_partnerships(params_dir)["x"]
    assert p.outcomes == {"D3a": "To reduce theft of and from motor vehicles",
                          "D3b": "To reduce retail theft"}
    assert p.outcome_params["D3b"].same_as == "D3a"
    assert p.targets[0].outcome_title == "To reduce theft of and from motor vehicles"
    again = type(p).model_validate(p.model_dump(mode="json"))  # a dump reads back
    assert again.outcome_params == p.outcome_params


@pytest.mark.parametrize(("outcomes", "key", "says"), [
    ("  D3b: {title: T, same_as: D3x}\n", "outcomes.D3b.same_as",
     "must be an outcome of `outcomes`, got 'D3x' (nearest: D3a"),
    ("  D3b: {title: T, same_as: D3b}\n", "outcomes.D3b.same_as", "got itself"),
    ("  D3b: {title: T, same_as: D3a}\n  D3c: {title: T, same_as: D3b}\n",
     "outcomes.D3c.same_as", "'D3b' is itself assessed as 'D3a': name that outcome"),
    ("  D3b: {title: T, theme: violense}\n", "outcomes.D3b.theme",
     "got 'violense' (nearest: violence)"),
    ("  D3b: {title: T, shared: D3a}\n", "outcomes.D3b.shared", "`shared` is not a known key"),
])
def test_outcome_rules(params_dir: Path, outcomes: str, key: str, says: str) -> None:
    write(params_dir, "outcomes:\n  D3a: Vehicles\n" + outcomes)
    problem_at(params_dir, key, says)


def test_a_shared_outcome_has_no_targets_of_its_own(params_dir: Path) -> None:
    write(params_dir, OUTCOMES, TARGET.replace("outcome: D3a", "outcome: D3b"))
    problem_at(params_dir, "targets[0].outcome",
               "`outcome` 'D3b' is assessed as 'D3a' (its `same_as`)")


# --------------------------------------------------------------------------- split ratings


@pytest.mark.parametrize(("ratings", "single", "split"), [
    ([Rag.GREEN, Rag.AMBER], Rag.GREEN, (Rag.GREEN, Rag.AMBER)),      # mean 1.5
    ([Rag.AMBER, Rag.RED], Rag.RED, (Rag.AMBER, Rag.RED)),            # 2.5: the bulletin's O1c
    ([Rag.GREEN, Rag.RED], Rag.AMBER, None),                          # 2.0: the bulletin's D3a
    ([Rag.GREEN, Rag.GREEN, Rag.AMBER], Rag.GREEN, None),             # 1.33
    ([Rag.GREEN, Rag.GREEN, Rag.GREEN, Rag.RED], Rag.GREEN, (Rag.GREEN, Rag.AMBER)),  # 1.5
    ([Rag.AMBER, Rag.AMBER], Rag.AMBER, None),                        # they agree
    ([Rag.GREEN, None, Rag.AMBER], Rag.GREEN, (Rag.GREEN, Rag.AMBER)),  # unrated left out
    ([None, None], None, None),
])
def test_an_outcome_is_split_exactly_when_its_mean_is_on_a_boundary(
        ratings: list[Rag | None], single: Rag | None, split: tuple[Rag, Rag] | None) -> None:
    results = [RagResult(r) for r in ratings]
    assert outcome_rag(results).rating is single
    assert split_outcome(results) == split


# --------------------------------------------------------------------------- the summary


def _assessment(vehicle: PublicAssessment, **changes: object) -> PublicAssessment:
    return dataclasses.replace(vehicle, **changes)  # type: ignore[arg-type]


@pytest.fixture
def rated() -> PublicAssessment:
    """A rated target's PublicAssessment from the test tables' fixtures."""
    from test_tables import _vehicle

    from cdrp_lib.public import public_view

    return public_view(_vehicle())


def test_the_summary_groups_by_theme_then_outcome_with_shared_and_unset_outcomes(
        rated: PublicAssessment) -> None:
    themes = (ThemeParams(id="summary", title="Summary"),
              ThemeParams(id="vulnerable", title="Vulnerable Children and Young People"),
              ThemeParams(id="offenders", title="Offender Management"))
    outcomes = {
        "V1a": OutcomeParams(title="First-time entrants", theme="vulnerable"),
        "V1c": OutcomeParams(title="Less ASB"),
        "V1d": OutcomeParams(title="Positive activities", same_as="V1c"),
        "O1a": OutcomeParams(title="Repeat domestic abuse"),
        "O1b": OutcomeParams(title="Repeat incidents", same_as="O1a", theme="offenders"),
        "Z9": OutcomeParams(title="Nowhere"),  # no target, no theme: not shown
    }
    a = [_assessment(rated, target_id="t1", outcome_code="V1c", theme="vulnerable",
                     rag=Rag.AMBER),
         _assessment(rated, target_id="t2", outcome_code="O1a", theme="offenders",
                     rag=Rag.AMBER),
         _assessment(rated, target_id="t3", outcome_code="O1a", theme="vulnerable",
                     rag=Rag.RED),
         _assessment(rated, target_id="t4", outcome_code="X1", outcome_title="Extra",
                     theme="offenders", rag=Rag.GREEN),
         _assessment(rated, target_id="t5", outcome_code=None, theme="offenders")]
    groups = dict(outcome_groups(themes, outcomes, a))
    assert groups["summary"] == ()
    vulnerable = groups["vulnerable"]
    assert [r.code for r in vulnerable] == ["V1a", "V1c", "V1d"]
    assert vulnerable[0].rag is None and "no target is set" in vulnerable[0].narrative
    assert vulnerable[1].rag is Rag.AMBER and vulnerable[1].title == "Less ASB"
    assert vulnerable[2].narrative == "Performance assessment is the same as V1c (see above)."
    assert vulnerable[2].rag is Rag.AMBER
    offenders = groups["offenders"]
    # O1a's targets sit on two pages; the outcome sits in its first target's theme, whole
    assert [r.code for r in offenders] == ["O1a", "O1b", "X1"]
    assert offenders[0].split == (Rag.AMBER, Rag.RED) and "A/R" in offenders[0].narrative
    assert offenders[1].split == (Rag.AMBER, Rag.RED)
    assert offenders[1].narrative.endswith("same as O1a (see above).")
    assert offenders[2].title == "Extra"
    assert outcome_theme("V1d", outcomes, {"V1c": [a[0]]}) == "vulnerable"
    assert outcome_theme("Z9", outcomes, {}) is None


def test_a_shared_outcome_listed_before_its_own_says_see_below(rated: PublicAssessment) -> None:
    themes = (ThemeParams(id="summary", title="S"), ThemeParams(id="v", title="V"))
    outcomes = {"A": OutcomeParams(title="A", same_as="B", theme="v"),
                "B": OutcomeParams(title="B")}
    (rows,) = [r for t, r in outcome_groups(themes, outcomes, [_assessment(
        rated, target_id="t", outcome_code="B", theme="v", rag=Rag.GREEN)]) if t == "v"]
    assert [r.code for r in rows] == ["A", "B"]
    assert rows[0].narrative == "Performance assessment is the same as B (see below)."


# --------------------------------------------------------------------------- cdrp new-theme


@pytest.fixture
def project(tmp_path: Path, params_dir: Path) -> tuple[Path, Path]:
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(PROJECT / "notebooks" / "theme.ipynb", notebooks / "theme.ipynb")
    shutil.copy(PROJECT / "notebooks" / "violence.ipynb", notebooks / "violence.ipynb")
    return params_dir, notebooks


def _cli(params: Path, notebooks: Path, *argv: str) -> list[str]:
    return ["new-theme", *argv, "--params", str(params), "--notebooks", str(notebooks)]


def test_new_theme_writes_the_notebook_and_adds_it_to_bulletin_yaml(
        project: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    params, notebooks = project
    before = (params / "bulletin.yaml").read_text(encoding="utf-8")
    assert main(_cli(params, notebooks, "youth", "--title", "Young people: \"safe\"")) == 0
    assert "wrote" in capsys.readouterr().out
    after = (params / "bulletin.yaml").read_text(encoding="utf-8")
    assert after.startswith(before.split("\n# Method settings")[0].split("themes:")[0])
    assert all(line in after for line in before.splitlines())  # comments and layout kept
    themes = load_bulletin(params).themes
    assert themes[-1] == ThemeParams(id="youth", title='Young people: "safe"', notebook="youth")
    nb = json.loads((notebooks / "youth.ipynb").read_text(encoding="utf-8"))
    template = json.loads((notebooks / "theme.ipynb").read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in nb["cells"]]
    assert sources[0].startswith('# Young people: "safe": notebook of the bulletin\'s youth')
    assert 'theme = "youth"' in sources[1] and 'partnership = "ashcombe"' in sources[1]
    assert sources[2:] == ["".join(c["source"]) for c in template["cells"]][2:]
    assert all(c.get("outputs", []) == [] for c in nb["cells"])


def test_new_theme_for_one_partnership_begins_its_own_list(project: tuple[Path, Path]) -> None:
    params, notebooks = project
    write(params)
    add_theme(params, notebooks, "environment", "Environment", partnership="x", order=9)
    p = load_partnerships(params)["x"]
    assert p.themes is not None
    pages = themes_in_force(load_bulletin(params), p)
    assert [t.id for t in pages][-2:] == ["perception", "environment"]
    assert [t.notebook_name for t in pages][:2] == ["summary", "violence"]
    assert pages[:-1] == themes_in_force(load_bulletin(params), None)  # its pages as they were
    nb = json.loads((notebooks / "environment.ipynb").read_text(encoding="utf-8"))
    assert 'partnership = "x"' in "".join(nb["cells"][1]["source"])
    add_theme(params, notebooks, "cohesion", "Community Cohesion", partnership="x")
    assert load_partnerships(params)["x"].themes[-1].id == "cohesion"  # type: ignore[index]


@pytest.mark.parametrize(("argv", "says"), [
    (("violence", "--title", "V"), "violence.ipynb already exists"),
    (("asb", "--title", "A"), "theme 'asb' is already in the theme list of"),
    (("Youth Work", "--title", "Y"), "theme id must be lower-case"),
    (("youth", "--title", "Y", "--partnership", "nobody"), "no such partnership params file"),
    (("youth", "--title", "Y", "--order", "1"), "`order` 1 is already the order of 'violence'"),
])
def test_new_theme_refuses_with_one_line_and_changes_nothing(
        project: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
        argv: tuple[str, ...], says: str) -> None:
    params, notebooks = project
    before = {p: p.read_bytes() for p in [*params.rglob("*"), *notebooks.rglob("*")]
              if p.is_file()}
    assert main(_cli(params, notebooks, *argv)) == 2
    err = capsys.readouterr().err
    assert err.startswith("cdrp new-theme: error:") and err.count("\n") == 1, err
    assert says in err
    after = {p: p.read_bytes() for p in [*params.rglob("*"), *notebooks.rglob("*")]
             if p.is_file()}
    assert after == before


def test_new_theme_without_the_template_says_so(project: tuple[Path, Path]) -> None:
    params, notebooks = project
    (notebooks / "theme.ipynb").unlink()
    with pytest.raises(InputError, match="no template theme notebook"):
        add_theme(params, notebooks, "youth", "Young people")


def test_the_generic_notebook_makes_the_same_page_as_a_themes_own() -> None:
    """notebooks/theme.ipynb with its default theme (violence) renders violence.ipynb's page
    (the snapshots are made by tests/test_notebooks.py from the demo)."""
    pages = Path(__file__).resolve().parent / "snapshots" / "pages"
    generic = (pages / "theme.txt").read_text(encoding="utf-8")
    assert generic.startswith("h1: Violence: ")
    assert generic == (pages / "violence.txt").read_text(encoding="utf-8")
