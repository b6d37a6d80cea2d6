"""`cdrp fetch` against a loopback HTTP server serving an archive built here.

The server (http.server on 127.0.0.1, port 0, in a thread) supports Range like
data.police.uk's file host, and can be told to drop the connection half way,
ignore Range, answer with an error status or hang.  Nothing leaves the machine.
"""

from __future__ import annotations

import io
import re
import socket
import threading
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cdrp_lib.cli import main
from cdrp_lib.errors import InputError
from cdrp_lib.sources.fetch import (
    STATE_DIR,
    FetchError,
    FetchResult,
    FetchStatus,
    ProgressFn,
    TerminalProgress,
    _write_atomically,
    archive_url,
    fetch_month,
    normalise_forces,
    parse_content_range,
    progress_for,
    street_members,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
    "LSOA code,LSOA name,Crime type,Last outcome category,Context\n"
)
FORCES = {"northamptonshire": "Northamptonshire Police", "city-of-london": "City of London Police"}
MONTHS = ("2025-01", "2025-02")
LATEST = MONTHS[-1]


def street_csv(month: str, force: str) -> bytes:
    """Two real-shaped rows (one crime, one ASB) that say which month and force they are."""
    name = FORCES[force]
    return (
        HEADER
        + f"a1{month}{force},{month},{name},{name},-0.72,52.39,On or near High Street,"
        "E01027000,Kettering 001A,Burglary,Under investigation,\n"
        + f",{month},{name},{name},-0.73,52.40,On or near Market Place,"
        "E01027001,Kettering 002B,Anti-social behaviour,,\n"
    ).encode()


def build_archive(compression: int = zipfile.ZIP_STORED) -> bytes:
    """An archive laid out as data.police.uk's: every month up to LATEST, plus outcomes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for month in MONTHS:
            zf.writestr(f"{month}/", b"")
            for force in FORCES:
                zf.writestr(f"{month}/{month}-{force}-street.csv", street_csv(month, force))
        zf.writestr(
            f"{LATEST}/{LATEST}-northamptonshire-outcomes.csv",
            b"Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
            b"LSOA code,LSOA name,Outcome type\n",
        )
        zf.writestr(f"{LATEST}/{LATEST}-northamptonshire-stop-and-search.csv", b"Type,Date\n")
    return buffer.getvalue()


ARCHIVE = build_archive()


@dataclass
class Behaviour:
    """What the loopback server does; ``requests`` records each request's path and Range."""

    payload: bytes = ARCHIVE
    honour_range: bool = True
    drops: int = 0  # this many responses stop after half their body
    status: int = 200
    hang: threading.Event | None = None  # when set, requests wait on it and never answer
    requests: list[tuple[str, str | None]] = field(default_factory=list)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    behaviour: Behaviour


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        b = self.server.behaviour
        b.requests.append((self.path, self.headers.get("Range")))
        if b.hang is not None:
            b.hang.wait(10)
            return
        if b.status != 200:
            self.send_error(b.status)
            return
        data, start = b.payload, 0
        wanted = self.headers.get("Range")
        if wanted and b.honour_range:
            match = re.fullmatch(r"bytes=(\d+)-", wanted)
            assert match, wanted
            start = int(match.group(1))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if b.drops > 0:
            b.drops -= 1
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)


Serve = Callable[[Behaviour], str]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start loopback servers on demand; returns the base URL of each."""
    servers: list[tuple[_Server, Behaviour]] = []

    def start(behaviour: Behaviour) -> str:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.behaviour = behaviour
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append((server, behaviour))
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        return f"http://127.0.0.1:{port}"

    yield start
    for server, behaviour in servers:
        if behaviour.hang is not None:
            behaviour.hang.set()
        server.shutdown()
        server.server_close()


def fetch(base_url: str, dest: Path, *, forces: Sequence[str] = (), attempts: int = 3,
          progress: ProgressFn | None = None) -> FetchResult:
    """The latest month from ``base_url``, with a short timeout and no pause between attempts."""
    return fetch_month(LATEST, dest=dest, base_url=base_url, forces=forces, timeout=5,
                       attempts=attempts, retry_pause=0, progress=progress)


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def street_target(dest: Path, force: str) -> Path:
    return dest / LATEST / f"{LATEST}-{force}-street.csv"


# ----------------------------------------------------------------------------- happy paths


def test_installs_every_forces_street_file_for_the_month_only(serve: Serve, tmp_path: Path) -> None:
    behaviour = Behaviour()
    result = fetch_month(LATEST, dest=tmp_path, base_url=serve(behaviour), timeout=5)
    assert result.status is FetchStatus.INSTALLED
    assert behaviour.requests == [(f"/data/archive/{LATEST}.zip", None)]
    for force in FORCES:
        assert street_target(tmp_path, force).read_bytes() == street_csv(LATEST, force)
    # neither earlier months nor outcomes/stop-and-search, no part or temp file left behind
    assert files_under(tmp_path) == sorted([
        f"{STATE_DIR}/{LATEST}.json",
        f"{LATEST}/{LATEST}-city-of-london-street.csv",
        f"{LATEST}/{LATEST}-northamptonshire-street.csv",
    ])
    assert "installed 2 street files" in result.summary()


def test_force_filter_installs_only_the_named_forces(serve: Serve, tmp_path: Path) -> None:
    result = fetch(serve(Behaviour()), tmp_path, forces=["City of London"])
    assert result.installed == (street_target(tmp_path, "city-of-london"),)
    assert not street_target(tmp_path, "northamptonshire").exists()


def test_rerun_when_complete_does_nothing_and_sends_no_request(
    serve: Serve, tmp_path: Path
) -> None:
    behaviour = Behaviour()
    url = serve(behaviour)
    fetch(url, tmp_path)
    before = street_target(tmp_path, "northamptonshire").stat().st_mtime_ns
    again = fetch_month(LATEST, dest=tmp_path, base_url=url)
    assert again.status is FetchStatus.ALREADY_COMPLETE
    assert "nothing to do" in again.summary()
    assert len(behaviour.requests) == 1
    assert street_target(tmp_path, "northamptonshire").stat().st_mtime_ns == before
    named = fetch_month(LATEST, dest=tmp_path, base_url=url, forces=["northamptonshire"])
    assert named.status is FetchStatus.ALREADY_COMPLETE
    assert len(behaviour.requests) == 1


def test_all_forces_after_one_force_downloads_and_keeps_the_present_file(
    serve: Serve, tmp_path: Path
) -> None:
    behaviour = Behaviour()
    url = serve(behaviour)
    fetch(url, tmp_path, forces=["city-of-london"])
    result = fetch(url, tmp_path)
    assert len(behaviour.requests) == 2  # one force does not make the whole month complete
    assert result.installed == (street_target(tmp_path, "northamptonshire"),)
    assert result.already_present == (street_target(tmp_path, "city-of-london"),)


def test_a_real_data_police_uk_archive_installs_its_month(serve: Serve, tmp_path: Path) -> None:
    real = SHARED / "data" / "police-uk" / "northamptonshire-2025.zip"
    if not real.exists():
        pytest.skip(f"{real} is absent (the shared reference data sits beside the repository)")
    payload = real.read_bytes()
    result = fetch_month("2025-05", dest=tmp_path, base_url=serve(Behaviour(payload=payload)),
                         forces=["northamptonshire"], timeout=5)
    with zipfile.ZipFile(real) as zf:
        expected = zf.read("2025-05/2025-05-northamptonshire-street.csv")
    assert result.installed == (tmp_path / "2025-05" / "2025-05-northamptonshire-street.csv",)
    assert result.installed[0].read_bytes() == expected


# ----------------------------------------------------------------------------- resuming


def test_dropped_connection_keeps_the_part_and_the_next_run_resumes_with_range(
    serve: Serve, tmp_path: Path
) -> None:
    behaviour = Behaviour(drops=1)
    url = serve(behaviour)
    with pytest.raises(FetchError, match=r"interrupted at byte .*run the same command again"):
        fetch(url, tmp_path, attempts=1)
    part = tmp_path / STATE_DIR / f"{LATEST}.zip.part"
    half = len(ARCHIVE) // 2
    assert part.stat().st_size == half
    assert not (tmp_path / LATEST).exists()

    result = fetch(url, tmp_path, attempts=1)
    assert behaviour.requests[1][1] == f"bytes={half}-"
    assert result.download is not None and result.download.resumed_from == half
    assert f"resumed the download at byte {half:,}" in result.summary()
    for force in FORCES:
        assert street_target(tmp_path, force).read_bytes() == street_csv(LATEST, force)
    assert not part.exists()


def test_dropped_connection_resumes_within_one_run_while_attempts_remain(
    serve: Serve, tmp_path: Path
) -> None:
    behaviour = Behaviour(drops=1)
    fetch(serve(behaviour), tmp_path, attempts=2)
    assert [r[1] for r in behaviour.requests] == [None, f"bytes={len(ARCHIVE) // 2}-"]
    assert street_target(tmp_path, "city-of-london").read_bytes() == street_csv(
        LATEST, "city-of-london")


def test_server_ignoring_range_restarts_cleanly_instead_of_appending(
    serve: Serve, tmp_path: Path
) -> None:
    behaviour = Behaviour(drops=1, honour_range=False)
    url = serve(behaviour)
    with pytest.raises(FetchError):
        fetch(url, tmp_path, attempts=1)
    result = fetch(url, tmp_path, attempts=1)
    assert behaviour.requests[1][1] == f"bytes={len(ARCHIVE) // 2}-"  # it was asked to resume
    assert result.download is not None
    assert result.download.resumed_from == 0
    assert result.download.size == len(ARCHIVE)
    for force in FORCES:
        assert street_target(tmp_path, force).read_bytes() == street_csv(LATEST, force)


def test_missing_force_is_named_and_the_valid_archive_kept_for_the_next_run(
    serve: Serve, tmp_path: Path
) -> None:
    behaviour = Behaviour()
    url = serve(behaviour)
    with pytest.raises(InputError) as caught:
        fetch(url, tmp_path, forces=["kent", "northamptonshire", "essex"])
    message = str(caught.value)
    assert "'kent', 'essex'" in message
    assert "city-of-london, northamptonshire" in message
    assert [p.rule for p in caught.value.problems] == ["force not in archive"] * 2
    assert not (tmp_path / LATEST).exists()  # nothing installed when a force is missing
    # the whole archive is still on disk: the corrected run asks for bytes past its end (416)
    result = fetch(url, tmp_path, forces=["northamptonshire"])
    assert behaviour.requests[-1][1] == f"bytes={len(ARCHIVE)}-"
    assert result.installed == (street_target(tmp_path, "northamptonshire"),)


# ----------------------------------------------------------------------------- verification


def _corrupt(payload: bytes) -> bytes:
    """Flip one byte of a stored member's data so its CRC no longer matches."""
    marker = b"On or near High Street"
    at = payload.index(marker)
    return payload[:at] + b"X" + payload[at + 1:]


def test_corrupt_archive_fails_crc_check_installs_nothing_and_is_discarded(
    serve: Serve, tmp_path: Path
) -> None:
    url = serve(Behaviour(payload=_corrupt(ARCHIVE)))
    with pytest.raises(InputError, match=r"archive is corrupt.*bad CRC in 2025-01/.*discarded"):
        fetch(url, tmp_path)
    assert files_under(tmp_path) == []


def test_a_page_that_is_not_a_zip_is_rejected(serve: Serve, tmp_path: Path) -> None:
    url = serve(Behaviour(payload=b"<html>maintenance</html>"))
    with pytest.raises(InputError, match="not a readable zip"):
        fetch(url, tmp_path)
    assert files_under(tmp_path) == []


def test_archive_without_the_month_names_the_months_it_holds(
    serve: Serve, tmp_path: Path
) -> None:
    url = serve(Behaviour())
    with pytest.raises(InputError, match=r"street files for 2025-03.*months 2025-01 to 2025-02"):
        fetch_month("2025-03", dest=tmp_path, base_url=url, timeout=5)


# ----------------------------------------------------------------------------- failures


def test_404_is_one_clear_error_naming_url_and_status_without_retrying(
    serve: Serve, tmp_path: Path
) -> None:
    behaviour = Behaviour(status=404)
    url = serve(behaviour)
    with pytest.raises(FetchError) as caught:
        fetch(url, tmp_path, attempts=3)
    message = str(caught.value)
    assert "HTTP 404" in message
    assert f"{url}/data/archive/{LATEST}.zip" in message
    assert "\n" not in message
    assert len(behaviour.requests) == 1
    assert not (tmp_path / LATEST).exists()


def test_server_errors_are_retried_then_reported(serve: Serve, tmp_path: Path) -> None:
    behaviour = Behaviour(status=503)
    with pytest.raises(FetchError, match=r"HTTP 503 .* after 2 attempts"):
        fetch(serve(behaviour), tmp_path, attempts=2)
    assert len(behaviour.requests) == 2


def test_refused_connection_names_the_url(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"  # nothing listens there any more
    with pytest.raises(FetchError, match=f"cannot reach {re.escape(url)}/data/archive"):
        fetch(url, tmp_path, attempts=1)


def test_a_silent_server_times_out(serve: Serve, tmp_path: Path) -> None:
    url = serve(Behaviour(hang=threading.Event()))
    with pytest.raises(FetchError, match="timed out"):
        fetch_month(LATEST, dest=tmp_path, base_url=url, timeout=0.3, attempts=1)


# ----------------------------------------------------------------------------- the pieces


def test_parse_content_range() -> None:
    assert parse_content_range("bytes 100-199/200").first == 100
    assert parse_content_range("bytes 100-199/200").total == 200
    star = parse_content_range("bytes */200")
    assert (star.first, star.last, star.total) == (None, None, 200)
    with pytest.raises(ValueError, match="Content-Range"):
        parse_content_range("items 1-2/3")


def test_archive_url_and_its_checks() -> None:
    assert archive_url("2025-01") == "https://data.police.uk/data/archive/2025-01.zip"
    assert archive_url("2025-01", "http://127.0.0.1:8000/") == (
        "http://127.0.0.1:8000/data/archive/2025-01.zip")
    with pytest.raises(ValueError, match="YYYY-MM"):
        archive_url("2025-13")
    with pytest.raises(ValueError, match="http"):
        archive_url("2025-01", "ftp://example.org")


def test_normalise_forces() -> None:
    assert normalise_forces(["City of London", "kent", "kent"]) == ("city-of-london", "kent")
    with pytest.raises(ValueError, match="slug"):
        normalise_forces(["!!"])


def test_street_members_ignore_other_months_and_file_kinds() -> None:
    names = zipfile.ZipFile(io.BytesIO(ARCHIVE)).namelist()
    assert street_members(names, "2025-01") == {
        "northamptonshire": "2025-01/2025-01-northamptonshire-street.csv",
        "city-of-london": "2025-01/2025-01-city-of-london-street.csv",
    }


def test_atomic_write_leaves_the_old_file_and_no_temp_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "2025-01-kent-street.csv"
    target.write_bytes(b"old")

    def chunks() -> Iterator[bytes]:
        yield b"half of the new"
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        _write_atomically(target, chunks())
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
    _write_atomically(target, [b"new ", b"file"])
    assert target.read_bytes() == b"new file"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


class _FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal(serve: Serve, tmp_path: Path) -> None:
    assert progress_for(io.StringIO(), "x") is None
    terminal = _FakeTerminal()
    progress = progress_for(terminal, f"{LATEST}.zip")
    assert isinstance(progress, TerminalProgress)
    fetch(serve(Behaviour()), tmp_path, progress=progress)
    progress.close()
    shown = terminal.getvalue()
    assert shown.startswith(f"\r{LATEST}.zip: ")
    assert shown.endswith("(100%)\n")


# ----------------------------------------------------------------------------- the command


def test_cdrp_fetch_command_installs_then_says_nothing_to_do(
    serve: Serve, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["fetch", "--month", LATEST, "--force", "northamptonshire", "--dest", str(tmp_path),
            "--base-url", serve(Behaviour()), "--timeout", "5"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert out.strip() == f"installed 1 street file for {LATEST} in {tmp_path / LATEST}"
    assert err == ""  # not a terminal: no progress
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "already complete" in out and "nothing to do" in out
    assert err == ""


def test_cdrp_fetch_error_is_one_line_with_exit_code_2(
    serve: Serve, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = serve(Behaviour(status=404))
    code = main(["fetch", "--month", LATEST, "--dest", str(tmp_path), "--base-url", url])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("cdrp fetch: error: HTTP 404")
    assert "Traceback" not in err
