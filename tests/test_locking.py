"""cdrp_lib.locking: one cdrp process at a time per folder, and no stale lock after a crash.

The holder is a real second process (the ``hold_lock`` fixture in conftest):
``flock`` locks belong to open files, so only another process shows what a
second ``cdrp run`` would meet.  The timeout marks turn a lock that waits,
instead of failing at once, into a failure rather than a hung suite.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import re
import signal
import socket
import subprocess
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from cdrp_lib import locking
from cdrp_lib.errors import CdrpError, InUseError
from cdrp_lib.locking import (
    Holder,
    exclusive,
    folder_label,
    lock_file_beside,
    outputs_lock_file,
)

HoldLock = Callable[[Path, str], subprocess.Popen[str]]


def take(lock_file: Path) -> AbstractContextManager[None]:
    """The lock as ``cdrp run`` takes it (the message's wording is under test)."""
    return exclusive(lock_file, what="outputs/", activity="cdrp run",
                     hint="wait for it to finish, or point --outputs elsewhere")


@pytest.mark.timeout(60)
def test_a_second_taker_fails_at_once_naming_the_holder(tmp_path: Path,
                                                        hold_lock: HoldLock) -> None:
    lock_file = outputs_lock_file(tmp_path)
    child = hold_lock(lock_file, "cdrp run")
    with pytest.raises(InUseError) as raised, take(lock_file):
        pytest.fail("took a lock another process holds")
    message = str(raised.value)
    assert isinstance(raised.value, CdrpError)  # so the CLI prints it as one line
    assert "\n" not in message
    assert re.fullmatch(
        rf"outputs/ is in use by another cdrp run \(pid {child.pid} on host "
        rf"{re.escape(socket.gethostname())} since \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ: "
        rf".*\); wait for it to finish, or point --outputs elsewhere", message), message
    assert child.poll() is None  # the holder is untouched


@pytest.mark.timeout(60)
def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path, hold_lock: HoldLock) -> None:
    lock_file = outputs_lock_file(tmp_path)
    child = hold_lock(lock_file, "cdrp run")
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert lock_file.exists()  # SIGKILL gave it no chance to tidy up
    with take(lock_file):
        holder = Holder.parse(lock_file.read_bytes())
        assert holder is not None and holder.pid == os.getpid()
    assert not lock_file.exists()


def test_the_lock_is_let_go_and_its_file_deleted_even_when_the_work_fails(
        tmp_path: Path) -> None:
    lock_file = tmp_path / ".cdrp.lock"
    with pytest.raises(RuntimeError, match="boom"), take(lock_file):
        assert lock_file.exists()
        raise RuntimeError("boom")
    assert not lock_file.exists()
    with take(lock_file):
        pass


def test_one_process_cannot_take_its_own_lock_twice(tmp_path: Path) -> None:
    """A library caller nesting two batches into one folder is refused too."""
    lock_file = tmp_path / ".cdrp.lock"
    with take(lock_file), pytest.raises(InUseError, match=rf"\(pid {os.getpid()} "), \
            take(lock_file):
        pytest.fail("took the same lock twice")


def test_a_file_deleted_by_its_last_holder_as_we_lock_it_is_not_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The race the inode check exists for: we open the file, its holder deletes it and lets
    go, we lock the deleted file. Keeping that lock would let a third process lock the new
    file at the path beside us."""
    lock_file = tmp_path / ".cdrp.lock"
    lock_file.write_bytes(b"")
    real_flock = fcntl.flock
    deleted: list[int] = []

    def flock_after_the_holder_deleted_it(fd: int, operation: int) -> None:
        if not deleted:
            deleted.append(fd)
            lock_file.unlink()
        real_flock(fd, operation)

    monkeypatch.setattr(locking.fcntl, "flock", flock_after_the_holder_deleted_it)
    with take(lock_file):
        assert deleted and lock_file.exists()
        monkeypatch.setattr(locking.fcntl, "flock", real_flock)
        with pytest.raises(InUseError), take(lock_file):
            pytest.fail("a second taker locked the file at the path")


def test_a_holder_that_has_not_recorded_itself_yet_is_still_refused(tmp_path: Path) -> None:
    lock_file = tmp_path / ".cdrp.lock"
    lock_file.write_bytes(b"")
    fd = os.open(lock_file, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(InUseError, match=r"in use by another cdrp process \(not yet "
                                             r"recorded who\); wait"), take(lock_file):
            pytest.fail("took a lock another file description holds")
    finally:
        os.close(fd)


@pytest.mark.parametrize("data", [b"", b"\xff\xfe", b"[1, 2]", b'{"pid": 1}', b"not json"])
def test_a_lock_file_that_is_not_a_holder_record_parses_to_none(data: bytes) -> None:
    assert Holder.parse(data) is None


def test_holder_round_trip() -> None:
    holder = Holder.this_process("cdrp publish")
    assert Holder.parse(holder.to_bytes()) == holder
    assert str(holder).startswith(f"cdrp publish (pid {os.getpid()} on host ")


def test_a_filesystem_without_locks_goes_ahead_with_a_warning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def no_locks_here(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(locking.fcntl, "flock", no_locks_here)
    ran = False
    with caplog.at_level(logging.WARNING, logger="cdrp_lib.locking"), take(tmp_path / ".l"):
        ran = True
    assert ran
    assert "cannot lock (No locks available); going ahead without a lock" in caplog.text


def test_other_lock_errors_are_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def bad_descriptor(fd: int, operation: int) -> None:
        raise OSError(errno.EBADF, "Bad file descriptor")

    monkeypatch.setattr(locking.fcntl, "flock", bad_descriptor)
    with pytest.raises(OSError, match="Bad file descriptor"), take(tmp_path / ".l"):
        pytest.fail("went ahead after an unexpected lock error")


def test_without_fcntl_there_is_no_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(locking.sys, "platform", "win32")
    with take(tmp_path / ".cdrp.lock"), take(tmp_path / ".cdrp.lock"):
        pass
    assert list(tmp_path.iterdir()) == []


def test_lock_file_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert outputs_lock_file(tmp_path / "outputs") == tmp_path / "outputs" / ".cdrp.lock"
    assert lock_file_beside(tmp_path / "share" / "csp") == tmp_path / "share" / ".csp.cdrp.lock"
    monkeypatch.chdir(tmp_path)
    assert folder_label(tmp_path / "outputs") == "outputs/"
    assert folder_label(Path("outputs")) == "outputs/"
    assert folder_label(tmp_path.parent) == f"{tmp_path.parent.as_posix()}/"


@pytest.mark.timeout(60)
def test_held_by_says_whether_a_live_holder_recorded_the_token(tmp_path: Path,
                                                               hold_lock: HoldLock) -> None:
    lock_file = outputs_lock_file(tmp_path)
    assert not locking.held_by(lock_file, "")  # no file: nobody holds it
    with exclusive(lock_file, what="outputs/", activity="cdrp run", hint="", token="run-1"):
        assert locking.held_by(lock_file, "run-1")
        assert not locking.held_by(lock_file, "run-2")
    lock_file.write_text(Holder("cdrp run", 1, "h", "t", "c", "run-1").to_bytes().decode(),
                         encoding="utf-8")
    assert not locking.held_by(lock_file, "run-1")  # a record left by a killed holder
    lock_file.unlink()
    child = hold_lock(lock_file, "cdrp run")  # held, with no token recorded
    assert not locking.held_by(lock_file, "run-1")
    child.kill()
    child.communicate()
    assert not locking.held_by(lock_file, "")  # its holder is gone: the lock went with it


@pytest.mark.timeout(60)
def test_a_waiting_taker_is_told_who_holds_the_lock_then_takes_it_when_let_go(
        tmp_path: Path, hold_lock: HoldLock) -> None:
    lock_file = outputs_lock_file(tmp_path)
    child = hold_lock(lock_file, "cdrp run")
    told: list[str] = []

    def waiting(holder: str) -> None:
        told.append(holder)
        child.kill()  # the holder ends while we wait

    with exclusive(lock_file, what="outputs/", activity="cdrp publish", hint="",
                   waiting=waiting):
        assert child.wait() == -signal.SIGKILL
        assert locking.held_by(lock_file, "")
    assert len(told) == 1 and told[0].startswith(f"another cdrp run (pid {child.pid} ")
