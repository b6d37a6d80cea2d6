"""The `cdrp` command as a user meets it: help for every command, one-line errors, --version.

Commands are found from ``cdrp_lib.cli.COMMANDS`` and the modules present, so a
command added later is covered without editing this file.  The console script
is run for real once (it must be installed); the rest go through ``main``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

import cdrp_lib.cli as cli
from cdrp_lib import __version__
from cdrp_lib.errors import InputError, Problem

CLI_DIR = Path(cli.__file__).parent
# Modules that must not load just to parse arguments (`cdrp --help` must answer at once).
HEAVY_MODULES = ("pandas", "numpy", "duckdb", "papermill", "matplotlib", "scipy",
                 "statsmodels", "seaborn", "dask", "distributed", "nbconvert", "nbclient")
FAKE = "_test_fake_command"


def present_commands() -> dict[str, str]:
    """Registered command name -> module name, for the modules that exist so far."""
    return {name: module for name, module in cli.COMMANDS.items()
            if importlib.util.find_spec(f"cdrp_lib.cli.{module}") is not None}


def installed_cdrp() -> Path:
    """The venv's console script; a missing one is a failure (pip install -e . makes it)."""
    script = Path(sys.executable).parent / "cdrp"
    if not script.exists():
        pytest.fail(f"console script {script} is not installed; run `make test` "
                    "(it installs the package with pip install -e .)")
    return script


def run_cdrp(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    return subprocess.run([str(installed_cdrp()), *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env, check=False)


# ----------------------------------------------------------------------------- help


def test_console_script_help_lists_every_present_command(tmp_path: Path) -> None:
    done = run_cdrp("--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: cdrp")
    for name, module in present_commands().items():
        help_text = importlib.import_module(f"cdrp_lib.cli.{module}").HELP
        assert name in done.stdout
        assert help_text.split()[0] in done.stdout, f"{name}'s HELP missing from cdrp --help"


@pytest.mark.parametrize("name", list(cli.COMMANDS))
def test_command_help_describes_the_command(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    module_name = cli.COMMANDS[name]
    if importlib.util.find_spec(f"cdrp_lib.cli.{module_name}") is None:
        pytest.skip(f"cdrp_lib/cli/{module_name}.py does not exist yet")
    module = importlib.import_module(f"cdrp_lib.cli.{module_name}")
    assert isinstance(module.HELP, str) and module.HELP.strip()
    assert "\n" not in module.HELP, f"{name}: HELP must be one line"
    assert callable(module.add_arguments) and callable(module.run)
    with pytest.raises(SystemExit) as exited:
        cli.main([name, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: cdrp {name}")
    assert " ".join(module.HELP.split()) in " ".join(out.split())
    assert "--debug" in out


def test_every_command_module_is_registered() -> None:
    modules = {p.stem for p in CLI_DIR.glob("*.py") if not p.stem.startswith("_")}
    unregistered = sorted(modules - set(cli.COMMANDS.values()))
    assert unregistered == [], f"cdrp_lib/cli modules missing from COMMANDS: {unregistered}"


def test_parsing_arguments_imports_nothing_heavy() -> None:
    code = (
        "import sys, cdrp_lib.cli as c\n"
        "c.build_parser()\n"
        f"print(' '.join(m for m in {HEAVY_MODULES!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", (
        f"building the parser imported {done.stdout.strip()}: import them inside run()")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"cdrp {__version__}\n"


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main([])
    assert exited.value.code == 2
    assert "usage: cdrp" in capsys.readouterr().err


# ----------------------------------------------------------------------------- errors


def test_console_script_error_is_one_line_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    if "fetch" not in present_commands():
        pytest.skip("cdrp fetch is the command used to provoke an error")
    plain = run_cdrp("fetch", "--month", "2025-13", "--dest", str(tmp_path), cwd=tmp_path)
    assert plain.returncode == 2
    assert plain.stdout == ""
    assert plain.stderr == "cdrp fetch: error: month must be YYYY-MM, got '2025-13'\n"
    debug = run_cdrp("fetch", "--debug", "--month", "2025-13", "--dest", str(tmp_path),
                     cwd=tmp_path)
    assert debug.returncode != 0
    assert "Traceback (most recent call last)" in debug.stderr
    assert "ValueError: month must be YYYY-MM" in debug.stderr
    assert not (tmp_path / "2025-13").exists()


def _fake_command(
    monkeypatch: pytest.MonkeyPatch, run: Callable[[argparse.Namespace], int]
) -> None:
    """Register a command ``fake`` whose run() is ``run``, to test main() on its own."""
    module = ModuleType(f"cdrp_lib.cli.{FAKE}")
    module.HELP = "a command that exists only in this test"  # type: ignore[attr-defined]
    module.add_arguments = lambda parser: None  # type: ignore[attr-defined]
    module.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(cli.COMMANDS, "fake", FAKE)


def _raise(exc: BaseException) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        raise exc
    return run


@pytest.mark.parametrize("exc", [
    InputError([Problem("a.csv", "bad month", "YYYY-MM", "'2025/01'", line=3, column="Month"),
                Problem("a.csv", "bad month", "YYYY-MM", "''", line=9, column="Month")]),
    FileNotFoundError(2, "No such file or directory", "data/raw/missing"),
    ValueError("1 validation error for Partnership\nname\n  Field required [type=missing]"),
], ids=["input-error", "os-error", "multi-line-value-error"])
def test_errors_print_exactly_one_line_with_exit_code_2(
    exc: Exception, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake_command(monkeypatch, _raise(exc))
    assert cli.main(["fake"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("cdrp fake: error: ")
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    first_words = str(exc).split()[:3]
    assert " ".join(first_words) in err


@pytest.mark.parametrize("argv", [["--debug", "fake"], ["fake", "--debug"]])
def test_debug_lets_the_traceback_through(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_command(monkeypatch, _raise(ValueError("bad value")))
    with pytest.raises(ValueError, match="bad value"):
        cli.main(argv)


def test_bugs_are_not_disguised_as_one_line_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_command(monkeypatch, _raise(RuntimeError("a bug")))
    with pytest.raises(RuntimeError, match="a bug"):
        cli.main(["fake"])


def test_the_commands_exit_code_is_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_command(monkeypatch, lambda args: 3)
    assert cli.main(["fake"]) == 3


def test_an_error_without_a_message_still_says_what_it_was(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake_command(monkeypatch, _raise(ValueError()))
    assert cli.main(["fake"]) == 2
    assert capsys.readouterr().err == "cdrp fake: error: ValueError\n"
