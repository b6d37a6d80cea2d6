"""Finding street files in files, folders at any depth and zip archives."""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cdrp_lib.errors import Problem, clip_found
from cdrp_lib.sources.police_uk.rules import (
    _MONTH_RE,
    _READ_CHUNK,
    OTHER_POLICE_NAME,
    RULE_EMPTY_FOLDER,
    RULE_FILE_NAME,
    RULE_UNREADABLE,
    SEVERITY_WARNING,
    STREET_NAME,
)

# --------------------------------------------------------------------------- discovery

@dataclass(frozen=True)
class InputFile:
    """A CSV to ingest: ``name`` to report (``archive.zip::member`` in a zip), ``path`` to read."""

    name: str
    path: Path


@dataclass(frozen=True)
class StreetFile(InputFile):
    """A street-level file; ``force`` and ``month`` come from its name."""

    force: str = ""
    month: str = ""


@dataclass(frozen=True)
class Discovery:
    """What a set of input paths holds.

    ``other`` are CSVs that are not police files (local extracts, reference data),
    left for the caller to classify; ``ignored`` pairs a name with why it was skipped.
    """

    street: tuple[StreetFile, ...]
    other: tuple[InputFile, ...]
    ignored: tuple[tuple[str, str], ...]
    problems: tuple[Problem, ...]


def parse_street_name(name: str) -> tuple[str, str] | None:
    """``2019-01-kent-street.csv`` -> (``2019-01``, ``kent``); None when not a street file name."""
    m = STREET_NAME.match(name)
    if not m:
        return None
    return m.group("month"), m.group("force")


@dataclass
class _Found:
    street: list[StreetFile] = field(default_factory=list)
    other: list[InputFile] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def add_csv(self, name: str, path: Path, base: str) -> None:
        parsed = parse_street_name(base)
        if parsed is not None:
            month, force = parsed
            if not _MONTH_RE.match(month):
                self.problems.append(Problem(name, RULE_FILE_NAME, _STREET_PATTERN,
                                             f"{base!r}: month {month} is not 01-12"))
                return
            self.street.append(StreetFile(name, path, force=force, month=month))
        elif OTHER_POLICE_NAME.match(base):
            self.ignored.append((name, "outcomes and stop-and-search files are not street crime"))
        elif _NEAR_STREET.search(base):
            self.problems.append(Problem(name, RULE_FILE_NAME, _STREET_PATTERN,
                                         near_miss(base)))
        else:
            self.other.append(InputFile(name, path))


_STREET_PATTERN = "a street file named YYYY-MM-<force>-street.csv (lower case, month 01-12)"
# A name that says "street" but does not match STREET_NAME: a mistake to name, never a
# file to skip (a whole force month would be silently missing).
_NEAR_STREET = re.compile(r"(?i)-street\b|^\d{4}-\w{1,2}-[\w-]+street")
_COPY_SUFFIX = re.compile(r"\s*\(\d+\)(?=\.csv$)|\s+-\s+copy(?=\.csv$)|\s+copy(?=\.csv$)",
                          re.IGNORECASE)
_LOOSE_MONTH = re.compile(r"^(\d{4})-([^-]+)-")


def near_miss(base: str) -> str:
    """What is wrong with a name that almost matches ``YYYY-MM-<force>-street.csv``."""
    fixed = _COPY_SUFFIX.sub("", base)
    if fixed != base and parse_street_name(fixed.lower()):
        return f"{base!r}, a browser's or a copy's name: rename it to {fixed.lower()}"
    if base != base.lower() and parse_street_name(base.lower()):
        return f"{base!r}, with capital letters: rename it to {base.lower()}"
    month = _LOOSE_MONTH.match(base)
    if month and not _MONTH_RE.match(f"{month.group(1)}-{month.group(2)}"):
        return f"{base!r}: month {month.group(1)}-{month.group(2)} is not YYYY-MM"
    return repr(base)


def discover(paths: Iterable[Path | str], extract_dir: Path) -> Discovery:
    """Every input CSV under ``paths`` (files, folders at any depth, zip archives).

    Zip members are streamed to ``extract_dir`` (DuckDB reads files, and a member is
    never held in memory whole).  Files are returned in sorted order so that "first in
    file order" and "the later of two files" are reproducible.
    """
    found = _Found()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = 0
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames.sort()
                files += len(filenames)
                for fname in sorted(filenames):
                    _add_path(found, Path(dirpath) / fname, extract_dir)
            if not files:
                found.problems.append(Problem(str(path), RULE_EMPTY_FOLDER, "files to ingest",
                                              "an empty folder", severity=SEVERITY_WARNING))
        elif path.exists():
            _add_path(found, path, extract_dir)
        else:
            found.problems.append(Problem(str(path), RULE_UNREADABLE, "a file, folder or zip",
                                          "nothing at that path"))
    return Discovery(tuple(found.street), tuple(found.other), tuple(found.ignored),
                     tuple(found.problems))


def _add_path(found: _Found, path: Path, extract_dir: Path) -> None:
    lower = path.name.lower()
    if lower.endswith(".zip"):
        _add_zip(found, path, extract_dir)
    elif lower.endswith(".csv"):
        found.add_csv(str(path), path, path.name)
    elif path.name.startswith("."):
        found.ignored.append((str(path), _HIDDEN))
    else:
        found.ignored.append((str(path), "not a .csv or .zip file"))


_HIDDEN = "a hidden file (its name starts with a dot)"


def _add_zip(found: _Found, path: Path, extract_dir: Path) -> None:
    target = extract_dir / f"zip{len(list(extract_dir.glob('zip*')))}"
    try:
        with zipfile.ZipFile(path) as archive:
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                member = info.filename
                base = member.rsplit("/", 1)[-1]
                if info.is_dir() or not base:
                    continue
                name = f"{path}::{member}"
                if base.startswith(".") or member.startswith("__MACOSX/"):
                    found.ignored.append((name, _HIDDEN))
                    continue
                if not base.lower().endswith(".csv"):
                    found.ignored.append((name, "not a .csv file"))
                    continue
                out = target / member
                if not out.resolve().is_relative_to(target.resolve()):
                    found.problems.append(Problem(name, RULE_UNREADABLE, "a member path inside the "
                                                  "archive", repr(member)))
                    continue
                out.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as src, out.open("wb") as dst:
                    shutil.copyfileobj(src, dst, _READ_CHUNK)
                found.add_csv(name, out, base)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        found.problems.append(Problem(str(path), RULE_UNREADABLE, "a readable zip archive",
                                      clip_found(str(exc) or type(exc).__name__)))


