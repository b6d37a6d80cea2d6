"""The layers contract in pyproject.toml holds, and would fire if it did not.

``lint-imports`` (import-linter) checks that no module of cdrp_lib imports from
a layer above its own.  A contract that could not fail would pass these tests
as easily as a true one, so besides the real run the same contract is checked
with its layers reversed (every real import then breaks it), and the project's
options are run on a tiny package whose only upward imports are inside a
function and under ``TYPE_CHECKING``: both must count.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def project_config() -> dict[str, Any]:
    """The ``[tool.importlinter]`` table of pyproject.toml."""
    with (ROOT / "pyproject.toml").open("rb") as f:
        config: dict[str, Any] = tomllib.load(f)["tool"]["importlinter"]
    return config


def to_toml(config: dict[str, Any]) -> str:
    """An import-linter config as TOML (strings, booleans and lists of strings only)."""
    def value(v: Any) -> str:
        return ("true" if v else "false") if isinstance(v, bool) else json.dumps(v)

    contracts = config.get("contracts", [])
    lines = ["[tool.importlinter]"]
    lines += [f"{k} = {value(v)}" for k, v in config.items() if k != "contracts"]
    for contract in contracts:
        lines += ["", "[[tool.importlinter.contracts]]"]
        lines += [f"{k} = {value(v)}" for k, v in contract.items()]
    return "\n".join(lines) + "\n"


def lint_imports(cwd: Path, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    args = [str(LINT_IMPORTS), "--no-cache", "--no-logo"]
    if config is not None:
        args.append(str(config))
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120,
                          check=False)


def test_the_layers_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout


def test_the_contract_names_every_module_and_fires_when_reversed(tmp_path: Path) -> None:
    config = project_config()
    (contract,) = config["contracts"]
    assert contract["type"] == "layers" and contract["exhaustive"] is True
    reversed_config = {**config, "contracts": [{**contract,
                                                "layers": contract["layers"][::-1]}]}
    path = tmp_path / "reversed.toml"
    path.write_text(to_toml(reversed_config), encoding="utf-8")
    result = lint_imports(ROOT, path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "cdrp_lib.cli is not allowed to import cdrp_lib.errors" in result.stdout
    assert "cdrp_lib.stats is not allowed to import cdrp_lib.periods" in result.stdout


def test_imports_in_functions_and_under_type_checking_count(tmp_path: Path) -> None:
    package = tmp_path / "layerdemo"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "high.py").write_text("VALUE = 1\n", encoding="utf-8")
    (package / "low.py").write_text(textwrap.dedent("""\
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from layerdemo.high import VALUE


        def lazy() -> int:
            from layerdemo import high

            return high.VALUE
        """), encoding="utf-8")
    options = {k: v for k, v in project_config().items() if k != "contracts"}
    config = {**options, "root_package": "layerdemo", "contracts": [
        {"id": "demo", "name": "demo layers", "type": "layers", "containers": ["layerdemo"],
         "exhaustive": True, "layers": ["high", "low"]}]}
    path = tmp_path / "demo.toml"
    path.write_text(to_toml(config), encoding="utf-8")
    result = lint_imports(tmp_path, path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "layerdemo.low -> layerdemo.high (l.4, l.8)" in result.stdout, result.stdout
