"""The ``cdrp`` command: thin, one module per command.

Each module in this package defines ``HELP`` (one line), ``add_arguments(parser)``
and ``run(args) -> int`` and calls one library function.  Command modules import
nothing heavy at module level (pandas, duckdb, papermill are imported inside
``run``), so ``cdrp --help`` answers at once.  Errors derived from
:class:`cdrp_lib.errors.CdrpError` (and OSError/ValueError from bad input) are
printed as one line with no traceback unless ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from cdrp_lib.version import __version__

#: Exit codes of every command (README, "Exit codes").
EXIT_OK = 0
EXIT_FAILED = 1       # a bulletin failed, or ingest found an unreadable file (or --strict)
EXIT_ERROR = 2        # bad arguments, input or params: one line says what
EXIT_STORE = 3        # the store is corrupt, truncated or not a cdrp store
EXIT_INTERRUPTED = 130

# name -> module in cdrp_lib.cli; the order is the order of `cdrp --help`.
COMMANDS: dict[str, str] = {
    "demo-data": "demo_data",
    "fetch": "fetch",
    "ingest": "ingest",
    "export": "export",
    "partnerships": "partnerships",
    "assess": "assess",
    "run": "run",
    "preview": "preview",
    "new-theme": "new_theme",
    "serve": "serve",
    "publish": "publish",
}


def _available() -> dict[str, ModuleType]:
    found: dict[str, ModuleType] = {}
    for name, module in COMMANDS.items():
        try:
            found[name] = importlib.import_module(f"cdrp_lib.cli.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"cdrp_lib.cli.{module}":
                raise
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cdrp",
        description=(
            "Community Safety Partnership performance bulletins: ingest police.uk and "
            "local data, assess targets, and publish HTML bulletins."
        ),
    )
    parser.add_argument("--version", action="version", version=f"cdrp {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback when a command fails"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in _available().items():
        help_text: str = module.HELP
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show the full traceback when the command fails")
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    from cdrp_lib.errors import CdrpError, StoreError

    try:
        code: int = args._run(args)
    except KeyboardInterrupt:
        print("cdrp: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except StoreError as exc:
        if debug:
            raise
        return _one_line(args.command, exc, EXIT_STORE)
    except (CdrpError, OSError, ValueError) as exc:
        if debug:
            raise
        return _one_line(args.command, exc, EXIT_ERROR)
    except Exception as exc:
        if debug or not _is_store_fault(exc):
            raise
        return _one_line(args.command, StoreError(
            f"the store is corrupt ({str(exc).splitlines()[0]}): restore it from a backup or "
            "ingest into a new --store"), EXIT_STORE)
    return code


def _one_line(command: str, exc: BaseException, code: int) -> int:
    """Print ``exc`` as one line (pydantic's ValidationError is several) and return ``code``."""
    message = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    print(f"cdrp {command}: error: {message or type(exc).__name__}", file=sys.stderr)
    return code


def _is_store_fault(exc: Exception) -> bool:
    """A DuckDB error that means the file is damaged: an I/O error or a corrupt block.

    The store is checked when it is opened (:func:`cdrp_lib.store.open_store`); this
    catches damage inside a block that only a query reaches.
    """
    duckdb = sys.modules.get("duckdb")
    if duckdb is None or not isinstance(exc, duckdb.Error):
        return False
    return isinstance(exc, duckdb.IOException) or "corrupt" in str(exc).lower()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
