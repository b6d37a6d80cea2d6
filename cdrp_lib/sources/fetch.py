"""Download one month of data.police.uk street files: resumable, verified, atomic.

data.police.uk publishes one archive per month, ``{base}/data/archive/YYYY-MM.zip``,
holding every month up to that one for every force (street, outcomes and
stop-and-search files; well over a gigabyte for recent months).  A download that
size fails half way often enough that it must resume, and a half-written CSV
would silently lose crimes, so:

* the archive is downloaded into ``<dest>/.fetch/YYYY-MM.zip.part`` and an
  interrupted download continues with an HTTP ``Range`` request (guarded by
  ``If-Range`` when the server gave an ETag or Last-Modified).  A server that
  ignores ``Range`` answers 200 with the whole file, and the part file is then
  truncated and written again from the start rather than appended to;
* the archive is verified before anything is installed: its length matches
  Content-Length / Content-Range, it opens as a zip and every member's CRC
  checks (:meth:`zipfile.ZipFile.testzip`), and it holds the month's street file
  for every requested force;
* each street file is written to a temporary file in its final folder and
  renamed into place (``os.replace`` is atomic), so ``cdrp ingest`` never sees a
  half-written file; the ``.tmp``/``.part``/``.json`` names are never read as data.

Only that month's ``YYYY-MM/YYYY-MM-<force>-street.csv`` files are installed, in
``<dest>/YYYY-MM/`` exactly as ``cdrp ingest`` reads them.  The archive itself is
deleted once installed (it repeats every earlier month); a manifest of the forces
it held (``<dest>/.fetch/YYYY-MM.json``) lets a re-run see that the month is
complete and do nothing.  Only the standard library is used (urllib), with a
socket timeout on every request.
"""

from __future__ import annotations

import contextlib
import enum
import http.client
import json
import os
import re
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, TextIO

from cdrp_lib.areas import slugify
from cdrp_lib.errors import CdrpError, InputError, Problem
from cdrp_lib.periods import Month
from cdrp_lib.version import __version__

DEFAULT_BASE_URL = "https://data.police.uk"
DEFAULT_DEST = Path("data/raw/police_uk")
ARCHIVE_PATH = "/data/archive/{month}.zip"
# Seconds a connect or a single read may block before the attempt counts as failed.
TIMEOUT_SECONDS = 60.0
# Bytes per read/write: large enough to stream a 1.5 GB archive quickly, small
# enough that an interruption loses little and progress updates often.
CHUNK_BYTES = 1 << 20
# Attempts per run: each one resumes where the previous one stopped.
DOWNLOAD_ATTEMPTS = 3
# Pause before attempt n+1 is n times this many seconds (linear back-off).
RETRY_PAUSE_SECONDS = 2.0
# Hidden folder under dest holding part files and manifests; ingest reads only
# *.csv and *.zip, so nothing in it is ever mistaken for data.
STATE_DIR = ".fetch"
USER_AGENT = f"cdrp/{__version__} (Community Safety Partnership bulletins)"
HTTP_NOT_FOUND = 404
HTTP_RANGE_NOT_SATISFIABLE = 416
HTTP_PARTIAL_CONTENT = 206
HTTP_SERVER_ERROR = 500

_CONTENT_RANGE_RE = re.compile(r"^\s*bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)\s*$", re.IGNORECASE)
_FORCE_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

ProgressFn = Callable[[int, int | None], None]
"""Called as ``progress(bytes_so_far, total_or_None)`` while downloading."""


class FetchError(CdrpError):
    """A download that failed: the message names the URL and the HTTP status or network error."""


class FetchStatus(enum.Enum):
    """What a fetch did."""

    INSTALLED = "installed"
    ALREADY_COMPLETE = "already complete"


@dataclass(frozen=True)
class ContentRange:
    """A parsed ``Content-Range`` header; ``first``/``last`` are None for ``bytes */N``."""

    first: int | None
    last: int | None
    total: int | None


@dataclass(frozen=True)
class Download:
    """A complete download in ``path``.

    ``resumed_from`` is the byte at which the request that completed the file
    continued an earlier part file (0 when that request received the whole file,
    including after a restart by a server that ignores Range).
    """

    path: Path
    size: int
    resumed_from: int


@dataclass(frozen=True)
class FetchResult:
    """The outcome of :func:`fetch_month`."""

    status: FetchStatus
    month: str
    url: str
    month_dir: Path
    installed: tuple[Path, ...]
    already_present: tuple[Path, ...]
    download: Download | None

    def summary(self) -> str:
        """One line for the terminal."""
        if self.status is FetchStatus.ALREADY_COMPLETE:
            return (
                f"{self.month} already complete in {self.month_dir} "
                f"({len(self.already_present)} street file"
                f"{'s' if len(self.already_present) != 1 else ''}); nothing to do"
            )
        text = (
            f"installed {len(self.installed)} street file{'s' if len(self.installed) != 1 else ''}"
            f" for {self.month} in {self.month_dir}"
        )
        if self.already_present:
            text += f" ({len(self.already_present)} already present)"
        if self.download is not None and self.download.resumed_from:
            text += f"; resumed the download at byte {self.download.resumed_from:,}"
        return text


class _Retryable(Exception):
    """An attempt that failed in a way another attempt (resuming) may fix."""


def archive_url(month: Month | str, base_url: str = DEFAULT_BASE_URL) -> str:
    """``https://data.police.uk/data/archive/2025-01.zip`` for ``2025-01``."""
    m = month if isinstance(month, Month) else Month.parse(month)
    base = base_url.strip().rstrip("/")
    if not re.match(r"^https?://[^/]+", base, re.IGNORECASE):
        raise ValueError(f"base URL must start with http:// or https://, got {base_url!r}")
    return base + ARCHIVE_PATH.format(month=m)


def street_file_name(month: str, force: str) -> str:
    """``2025-01-northamptonshire-street.csv``: the name data.police.uk gives a street file."""
    return f"{month}-{force}-street.csv"


def normalise_forces(forces: Iterable[str]) -> tuple[str, ...]:
    """Force slugs as data.police.uk spells them (``City of London`` -> ``city-of-london``).

    Duplicates are dropped, order kept; an empty name is a ValueError.
    """
    out: list[str] = []
    for raw in forces:
        slug = slugify(raw)
        if not _FORCE_SLUG_RE.match(slug):
            raise ValueError(f"force must be a data.police.uk slug such as 'kent', got {raw!r}")
        if slug not in out:
            out.append(slug)
    return tuple(out)


def street_members(names: Iterable[str], month: str) -> dict[str, str]:
    """Force slug -> archive member for the month's street files among ``names``.

    Matches ``YYYY-MM/YYYY-MM-<force>-street.csv`` at any depth (and the flat
    ``YYYY-MM-<force>-street.csv``); outcomes and stop-and-search files are ignored.
    """
    pattern = re.compile(
        rf"(?:^|/)(?:{re.escape(month)}/)?{re.escape(month)}-([a-z0-9-]+)-street\.csv$"
    )
    found: dict[str, str] = {}
    for name in names:
        match = pattern.search(name)
        if match and match.group(1) not in found:
            found[match.group(1)] = name
    return found


def parse_content_range(value: str) -> ContentRange:
    """Parse ``bytes 100-199/200`` or ``bytes */200``; ValueError naming the header otherwise."""
    match = _CONTENT_RANGE_RE.match(value or "")
    if not match:
        raise ValueError(f"Content-Range must be 'bytes FIRST-LAST/TOTAL', got {value!r}")
    first, last, total = match.groups()
    return ContentRange(
        first=int(first) if first is not None else None,
        last=int(last) if last is not None else None,
        total=int(total) if total not in (None, "*") else None,
    )


# --------------------------------------------------------------------------- download


def _read_meta(meta: Path) -> dict[str, Any]:
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json_atomically(target: Path, data: Mapping[str, Any]) -> None:
    payload = json.dumps(data, indent=2, sort_keys=True).encode("utf-8") + b"\n"
    _write_atomically(target, [payload])


def _discard(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _validator(headers: Mapping[str, str] | http.client.HTTPMessage) -> str | None:
    """A strong ETag or Last-Modified, usable in If-Range so a changed file is not spliced."""
    etag = headers.get("ETag")
    if etag and not etag.startswith("W/"):
        return str(etag)
    modified = headers.get("Last-Modified")
    return str(modified) if modified else None


def _attempt(
    url: str, part: Path, meta: Path, timeout: float, progress: ProgressFn | None
) -> int:
    """One request: continue or (re)start ``part``; returns the byte it continued from.

    Raises :class:`_Retryable` for failures a further attempt may fix and
    :class:`FetchError` for those it cannot (4xx statuses).
    """
    offset = part.stat().st_size if part.exists() else 0
    saved = _read_meta(meta)
    if offset and saved.get("url") != url:
        _discard(part, meta)  # a part file of some other URL: never splice it
        offset = 0
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
        if saved.get("validator"):
            headers["If-Range"] = str(saved["validator"])
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        with exc:
            if exc.code == HTTP_RANGE_NOT_SATISFIABLE and offset:
                server_size = _total_from(exc.headers.get("Content-Range", ""))
                if server_size == offset:
                    return offset  # the part file already holds the whole archive
                _discard(part, meta)
                raise _Retryable(
                    f"HTTP 416 for bytes={offset}- (server size {server_size}); restarting"
                ) from exc
            message = f"HTTP {exc.code} {exc.reason} from {url}"
            if exc.code == HTTP_NOT_FOUND:
                message += " (is that month published yet, and is the base URL right?)"
            if exc.code >= HTTP_SERVER_ERROR:
                raise _Retryable(message) from exc
            raise FetchError(message) from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise _Retryable(f"cannot reach {url}: {reason}") from exc

    with response:
        total: int | None
        if response.status == HTTP_PARTIAL_CONTENT:
            if not offset:
                raise _Retryable(f"{url} answered 206 Partial Content to a whole-file request")
            try:
                content_range = parse_content_range(response.headers.get("Content-Range", ""))
            except ValueError as exc:
                _discard(part, meta)
                raise _Retryable(f"{url}: {exc}; restarting") from exc
            if content_range.first != offset:
                _discard(part, meta)
                raise _Retryable(
                    f"{url} resumed at byte {content_range.first}, not {offset}; restarting"
                )
            total, mode, resumed_from = content_range.total, "ab", offset
        else:
            # 200: the whole file, whether or not we asked for a range.  Start
            # cleanly: truncating is what makes a server that ignores Range safe.
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            mode, resumed_from = "wb", 0
        _write_json_atomically(meta, {"url": url, "validator": _validator(response.headers)})
        try:
            with part.open(mode) as out:
                done = resumed_from
                while True:
                    chunk = response.read(CHUNK_BYTES)
                    if not chunk:
                        break
                    out.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
                out.flush()
                os.fsync(out.fileno())
        except (http.client.HTTPException, OSError) as exc:
            size = part.stat().st_size if part.exists() else 0
            of = f" of {total:,}" if total is not None else ""
            raise _Retryable(
                f"download of {url} interrupted at byte {size:,}{of} "
                f"({type(exc).__name__}: {exc})"
            ) from exc
    size = part.stat().st_size
    if total is not None and size != total:
        if size > total:
            _discard(part, meta)
            raise _Retryable(f"{url}: got {size:,} bytes but the server said {total:,}; restarting")
        raise _Retryable(f"download of {url} interrupted at byte {size:,} of {total:,}")
    return resumed_from


def _total_from(content_range: str) -> int | None:
    try:
        return parse_content_range(content_range).total
    except ValueError:
        return None


def download_resumable(
    url: str,
    part: Path,
    *,
    timeout: float = TIMEOUT_SECONDS,
    attempts: int = DOWNLOAD_ATTEMPTS,
    retry_pause: float = RETRY_PAUSE_SECONDS,
    progress: ProgressFn | None = None,
) -> Download:
    """Download ``url`` into ``part``, continuing any earlier part file.

    Each attempt resumes from the bytes already on disk.  When every attempt
    fails the part file is kept (so the next run resumes) and a one-line
    :class:`FetchError` names the URL and the last failure.  ``part`` is never
    renamed here: the caller verifies it first.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    part.parent.mkdir(parents=True, exist_ok=True)
    meta = part.with_name(part.name + ".json")
    last_error = ""
    for attempt in range(1, attempts + 1):
        try:
            resumed_from = _attempt(url, part, meta, timeout, progress)
        except _Retryable as exc:
            last_error = str(exc)
            if attempt < attempts:
                time.sleep(retry_pause * attempt)
            continue
        return Download(part, part.stat().st_size, resumed_from)
    raise FetchError(
        f"{last_error} after {attempts} attempt{'s' if attempts != 1 else ''}; "
        f"run the same command again to resume from {part}"
    )


# --------------------------------------------------------------------------- verify


def verify_archive(
    path: Path, month: str, forces: Sequence[str] = (), *, label: str | None = None
) -> dict[str, str]:
    """Check the archive and return force -> member for the street files to install.

    Verifies that ``path`` opens as a zip, that every member's CRC checks, that
    it holds street files for ``month`` and (when ``forces`` are named) for each
    of them.  Raises :class:`InputError` listing every problem; ``label`` (the
    URL) is used as the file name in the problems.
    """
    name = label or str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
            names = archive.namelist()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise InputError([Problem(name, "archive is not a readable zip",
                                  "a zip archive", f"{type(exc).__name__}: {exc}")]) from exc
    if bad is not None:
        raise InputError([Problem(name, "archive is corrupt", "every member's CRC to check",
                                  f"a bad CRC in {bad}")])
    available = street_members(names, month)
    if not available:
        months = sorted({m.group(0) for n in names if (m := re.match(r"\d{4}-\d{2}", n))})
        found = f"months {months[0]} to {months[-1]}" if months else "no month folders"
        raise InputError([Problem(name, "month not in archive",
                                  f"street files for {month}", found)])
    missing = [f for f in forces if f not in available]
    if missing:
        listed = ", ".join(sorted(available))
        raise InputError(
            [Problem(name, "force not in archive",
                     f"{street_file_name(month, f)} (forces in {month}: {listed})", "no such file")
             for f in missing],
            summary=(
                f"{name}: no {month} street file for "
                f"{', '.join(repr(f) for f in missing)}; forces in {month}: {listed}"
            ),
        )
    wanted = forces or sorted(available)
    return {f: available[f] for f in wanted}


# --------------------------------------------------------------------------- install


def _write_atomically(target: Path, chunks: Iterable[bytes]) -> None:
    """Write ``chunks`` to ``target`` via a temp file in the same folder and an atomic rename.

    On any failure the temp file is removed and ``target`` is untouched, so a
    reader sees either the old file (or none) or the whole new one.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        _discard(tmp)
        raise


def _member_chunks(stream: IO[bytes]) -> Iterable[bytes]:
    while chunk := stream.read(CHUNK_BYTES):
        yield chunk


def install_members(archive: Path, members: Mapping[str, str], month_dir: Path,
                    month: str) -> tuple[Path, ...]:
    """Extract each force's member to ``month_dir/YYYY-MM-<force>-street.csv`` atomically."""
    installed: list[Path] = []
    with zipfile.ZipFile(archive) as zf:
        for force, member in members.items():
            target = month_dir / street_file_name(month, force)
            with zf.open(member) as stream:  # zipfile checks the CRC again at the end
                _write_atomically(target, _member_chunks(stream))
            installed.append(target)
    return tuple(installed)


# --------------------------------------------------------------------------- the command


def _complete_files(month_dir: Path, manifest: Path, month: str,
                    forces: Sequence[str]) -> tuple[Path, ...] | None:
    """The files that make the month complete, when all are present; else None."""
    if forces:
        wanted = list(forces)
    else:
        data = _read_meta(manifest)
        listed = data.get("forces_in_archive")
        if not isinstance(listed, list) or not listed:
            return None
        wanted = [str(f) for f in listed]
    targets = tuple(month_dir / street_file_name(month, f) for f in wanted)
    return targets if all(t.is_file() for t in targets) else None


def fetch_month(
    month: Month | str,
    *,
    dest: Path = DEFAULT_DEST,
    forces: Sequence[str] = (),
    base_url: str = DEFAULT_BASE_URL,
    timeout: float = TIMEOUT_SECONDS,
    attempts: int = DOWNLOAD_ATTEMPTS,
    retry_pause: float = RETRY_PAUSE_SECONDS,
    progress: ProgressFn | None = None,
) -> FetchResult:
    """Download the month's archive and install its street files under ``dest/YYYY-MM/``.

    ``forces`` (data.police.uk slugs) limits the install to those forces.  Does
    nothing, without touching the network, when every wanted file is already
    there.  Files already present are left as they are (they were written
    atomically, so they are whole).  A corrupt archive is discarded so the next
    run downloads afresh; a valid archive that lacks a requested force is kept so
    a corrected re-run needs no new download.
    """
    m = month if isinstance(month, Month) else Month.parse(month)
    month_text = str(m)
    wanted_forces = normalise_forces(forces)
    url = archive_url(m, base_url)
    month_dir = Path(dest) / month_text
    state = Path(dest) / STATE_DIR
    manifest = state / f"{month_text}.json"
    part = state / f"{month_text}.zip.part"

    complete = _complete_files(month_dir, manifest, month_text, wanted_forces)
    if complete is not None:
        return FetchResult(FetchStatus.ALREADY_COMPLETE, month_text, url, month_dir,
                           (), complete, None)

    download = download_resumable(url, part, timeout=timeout, attempts=attempts,
                                  retry_pause=retry_pause, progress=progress)
    meta = part.with_name(part.name + ".json")
    try:
        members = verify_archive(part, month_text, wanted_forces, label=url)
    except InputError as exc:
        if any(p.rule != "force not in archive" for p in exc.problems):
            _discard(part, meta)
            raise InputError(exc.problems, summary=f"{exc}; the download was discarded") from exc
        raise
    with zipfile.ZipFile(part) as zf:
        all_forces = sorted(street_members(zf.namelist(), month_text))
    present = tuple(month_dir / street_file_name(month_text, f) for f in members
                    if (month_dir / street_file_name(month_text, f)).is_file())
    todo = {f: name for f, name in members.items()
            if month_dir / street_file_name(month_text, f) not in present}
    installed = install_members(part, todo, month_dir, month_text)
    _write_json_atomically(manifest, {
        "month": month_text,
        "url": url,
        "bytes": download.size,
        "forces_in_archive": all_forces,
        "installed": [p.name for p in installed],
        "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
    })
    _discard(part, meta)
    return FetchResult(FetchStatus.INSTALLED, month_text, url, month_dir,
                       installed, present, download)


class TerminalProgress:
    """A one-line byte counter redrawn with ``\\r``; only built for a terminal."""

    def __init__(self, stream: TextIO, label: str) -> None:
        self._stream = stream
        self._label = label
        self._drawn = False

    def __call__(self, done: int, total: int | None) -> None:
        if total:
            text = f"{self._label}: {done / 1e6:,.1f} of {total / 1e6:,.1f} MB ({done / total:.0%})"
        else:
            text = f"{self._label}: {done / 1e6:,.1f} MB"
        self._stream.write("\r" + text)
        self._stream.flush()
        self._drawn = True

    def close(self) -> None:
        """End the progress line so later output starts on a fresh line."""
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()
            self._drawn = False


def progress_for(stream: TextIO, label: str) -> TerminalProgress | None:
    """A progress line on ``stream`` when it is a terminal, else None (logs stay clean)."""
    isatty = getattr(stream, "isatty", None)
    return TerminalProgress(stream, label) if callable(isatty) and isatty() else None
