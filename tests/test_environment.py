"""The set-up stays in step: conda and pip name the same packages, every direct
dependency is pinned, the README opens with its two commands and CI runs the second.

Each check is a small function tested on the real files and on a bad input, so
a check that could never fail would show up here.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
# Packages conda needs but pip does not list: the interpreter, pip itself, and
# quarto (a conda-forge binary, optional renderer).
ENVIRONMENT_ONLY = frozenset({"python", "pip", "quarto"})
# pip entries in environment.yml that install the project itself rather than a package.
PROJECT_PIP_ENTRIES = frozenset({"-e .", "."})
README_COMMANDS = ("make demo", "make test")
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_CONDA_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_FENCE = re.compile(r"^```[a-z]*\s*$")


def normalise(name: str) -> str:
    """One spelling per package: lowercase, runs of ``_``/``.``/``-`` as one ``-`` (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name.strip().lower())


def requirement_name(requirement: str) -> str:
    """``pandas>=2`` / ``types-PyYAML ; python_version...`` -> the normalised name."""
    match = _REQUIREMENT_NAME.match(requirement)
    if not match:
        raise ValueError(f"not a requirement: {requirement!r}")
    return normalise(match.group(1))


def pyproject_packages(pyproject: Mapping[str, Any]) -> dict[str, str]:
    """Normalised name -> where it is declared, for dependencies and every extra."""
    project = pyproject["project"]
    found = {requirement_name(r): "dependencies" for r in project.get("dependencies", [])}
    for extra, requirements in project.get("optional-dependencies", {}).items():
        for r in requirements:
            found.setdefault(requirement_name(r), f"optional-dependencies.{extra}")
    return found


def environment_packages(environment: Mapping[str, Any]) -> set[str]:
    """Normalised names in environment.yml: conda specs and pip entries (not the project itself)."""
    names: set[str] = set()
    for entry in environment.get("dependencies", []):
        if isinstance(entry, str):
            match = _CONDA_NAME.match(entry.split("::")[-1])
            if not match:
                raise ValueError(f"environment.yml: cannot read dependency {entry!r}")
            names.add(normalise(match.group(1)))
        elif isinstance(entry, dict) and set(entry) == {"pip"}:
            for pip_entry in entry["pip"]:
                if str(pip_entry).strip() not in PROJECT_PIP_ENTRIES:
                    names.add(requirement_name(str(pip_entry)))
        else:
            raise ValueError(f"environment.yml: unexpected dependency entry {entry!r}")
    return names


def package_disagreements(environment: set[str], pyproject: Mapping[str, str]) -> list[str]:
    """Every package one file lists and the other does not, as readable lines."""
    problems = [
        f"{name} is in pyproject.toml ({where}) but not in environment.yml"
        for name, where in sorted(pyproject.items()) if name not in environment
    ]
    problems += [
        f"{name} is in environment.yml but not in pyproject.toml"
        for name in sorted(environment - set(pyproject) - ENVIRONMENT_ONLY)
    ]
    return problems


def unpinned(packages: Iterable[str], constraints_text: str) -> list[str]:
    """Packages with no ``name==version`` line in constraints.txt."""
    pinned = set()
    for line in constraints_text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            pinned.add(normalise(line.split("==", 1)[0]))
    return sorted(set(packages) - pinned)


def opening_commands(readme: str) -> list[str]:
    """The commands of the README's opening code block (comments dropped).

    The block must come straight after the title: anything else first means the
    README does not *open* with its commands, and a ValueError says what came first.
    """
    lines = readme.splitlines()
    i = 0
    while i < len(lines) and (not lines[i].strip() or lines[i].startswith("# ")):
        i += 1
    if i == len(lines) or not _FENCE.match(lines[i].strip()):
        found = lines[i] if i < len(lines) else "end of file"
        raise ValueError(f"README.md: expected a code block after the title, found {found!r}")
    commands: list[str] = []
    for line in lines[i + 1:]:
        if line.strip().startswith("```"):
            return commands
        command = line.split("#", 1)[0].strip()
        if command:
            commands.append(" ".join(shlex.split(command)))
    raise ValueError("README.md: the opening code block is never closed")


def script_commands(script: str) -> list[str]:
    """The commands a shell script runs, ignoring comments, ``set`` and ``cd`` set-up lines."""
    commands: list[str] = []
    for line in script.splitlines():
        command = line.split("#", 1)[0].strip()
        if not command or command.split()[0] in {"set", "cd"}:
            continue
        commands.append(" ".join(shlex.split(command)))
    return commands


def ci_runs_exactly(ci_commands: Sequence[str], test_command: str) -> list[str]:
    """Problems unless CI runs the test command once, as its last command (its exit status)."""
    problems: list[str] = []
    if ci_commands.count(test_command) != 1:
        problems.append(
            f".ci/run runs {test_command!r} {ci_commands.count(test_command)} times, expected once"
        )
    if not ci_commands or ci_commands[-1] != test_command:
        last = ci_commands[-1] if ci_commands else "nothing"
        problems.append(f".ci/run must end with {test_command!r}, ends with {last!r}")
    others = [c for c in ci_commands if c != test_command and re.search(r"\b(pytest|make)\b", c)]
    problems += [f".ci/run also runs {c!r}: CI must run only the README's command"
                 for c in others]
    return problems


# ----------------------------------------------------------------------------- the real files


def _load_pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_environment_yml_and_pyproject_name_the_same_packages() -> None:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert package_disagreements(environment_packages(environment),
                                 pyproject_packages(_load_pyproject())) == []


def test_every_direct_dependency_is_pinned_in_constraints() -> None:
    packages = pyproject_packages(_load_pyproject())
    assert unpinned(packages, (ROOT / "constraints.txt").read_text(encoding="utf-8")) == []


def test_readme_opens_with_exactly_the_two_commands() -> None:
    assert opening_commands((ROOT / "README.md").read_text(encoding="utf-8")) == list(
        README_COMMANDS)


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    test_command = opening_commands((ROOT / "README.md").read_text(encoding="utf-8"))[-1]
    ci = script_commands((ROOT / ".ci" / "run").read_text(encoding="utf-8"))
    assert ci_runs_exactly(ci, test_command) == []


def test_readme_commands_are_make_targets_with_help() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for command in README_COMMANDS:
        target = command.split()[1]
        assert re.search(rf"^{re.escape(target)}:.*## \S", makefile, re.MULTILINE), (
            f"Makefile has no documented target {target!r} (a `{target}: ... ## help` line)")


# ----------------------------------------------------------------------------- the checks can fail


def test_normalise_spellings() -> None:
    assert normalise("types-PyYAML") == normalise("types_pyyaml") == "types-pyyaml"
    assert normalise("pre_commit") == normalise("Pre.Commit") == "pre-commit"
    assert requirement_name("pandas>=2.0 ; python_version >= '3.11'") == "pandas"


def test_disagreements_are_reported_both_ways() -> None:
    environment = environment_packages({"dependencies": [
        "python=3.11", "pandas>=2", "conda-forge::Seaborn", "quarto", "jupyterlab",
        {"pip": ["-e .", "nbstripout==0.9"]},
    ]})
    assert environment == {"python", "pandas", "seaborn", "quarto", "jupyterlab", "nbstripout"}
    pyproject = pyproject_packages({"project": {
        "dependencies": ["pandas", "Seaborn", "duckdb"],
        "optional-dependencies": {"test": ["nbstripout", "pytest_timeout"]},
    }})
    assert package_disagreements(environment, pyproject) == [
        "duckdb is in pyproject.toml (dependencies) but not in environment.yml",
        "pytest-timeout is in pyproject.toml (optional-dependencies.test) "
        "but not in environment.yml",
        "jupyterlab is in environment.yml but not in pyproject.toml",
    ]


def test_unreadable_environment_entry_is_an_error() -> None:
    with pytest.raises(ValueError, match="unexpected dependency entry"):
        environment_packages({"dependencies": [{"conda": ["x"]}]})


def test_unpinned_packages_are_listed() -> None:
    constraints = "pandas==3.1.1\n# numpy==2.4\nPyYAML==6.0.3\nscipy>=1\n"
    assert unpinned(["pandas", "numpy", "pyyaml", "scipy"], constraints) == ["numpy", "scipy"]


def test_readme_must_open_with_its_commands() -> None:
    good = "# Title\n\n```bash\nmake demo    # first\nmake test\n```\nmore\n"
    assert opening_commands(good) == ["make demo", "make test"]
    assert opening_commands(good.replace("make test\n", "make test\nmake lab\n")) == [
        "make demo", "make test", "make lab"]
    with pytest.raises(ValueError, match="expected a code block after the title"):
        opening_commands("# Title\n\nSome prose first.\n\n```bash\nmake demo\n```\n")
    with pytest.raises(ValueError, match="never closed"):
        opening_commands("# Title\n```bash\nmake demo\n")


def test_ci_check_catches_other_or_extra_commands() -> None:
    good = "#!/usr/bin/env bash\nset -euo pipefail\ncd x\napt-get install -y chromium\nmake test\n"
    assert ci_runs_exactly(script_commands(good), "make test") == []
    assert ci_runs_exactly(script_commands("make test\npytest -x\n"), "make test") == [
        ".ci/run must end with 'make test', ends with 'pytest -x'",
        ".ci/run also runs 'pytest -x': CI must run only the README's command",
    ]
    assert ci_runs_exactly(script_commands("set -e\n"), "make test") == [
        ".ci/run runs 'make test' 0 times, expected once",
        ".ci/run must end with 'make test', ends with 'nothing'",
    ]
