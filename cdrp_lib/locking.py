"""One writer at a time: the lock ``cdrp run`` holds on its outputs folder, and ``cdrp publish``
on its destination.

Two batches pointed at one outputs folder would both render bulletins, rebuild
the index and write manifests, and one's bulletin swap could race the other's;
two publishes to one destination could interleave their swaps.  Either could
lose or half-overwrite what is already published.  :func:`exclusive` makes the
second process fail at once, with one line naming the process that holds the
lock, rather than wait or interleave.

The lock is ``flock(2)`` on a lock file, not the file's existence: the kernel
releases it when its holder's file is closed, however the process ends (Ctrl-C,
SIGKILL, a crash), so there is never a stale lock to clear by hand.  What the
file holds (pid, host, start time, command line) is only for the second
process's message.

The holder deletes the file as it lets go, so a lock file beside a published
site (in a share that may be served) does not sit there naming a host and a
command line; a holder killed by SIGKILL leaves it, harmlessly, for the next
holder to take over.  Because a process that opened the file just before it was
deleted can still lock it, a taker checks after locking that the path still
names the file it locked, and otherwise opens the path again.

Limits: the lock is advisory (it stops cdrp processes, not ``rm``); it is as
good as the filesystem's ``flock``, which local filesystems honour, and NFS
too, across machines (Linux maps it to NFS byte-range locks).  On a filesystem
that refuses locks (``ENOLCK``, ``EOPNOTSUPP``) the work goes ahead unlocked
with a warning, as it did before there was a lock, rather than becoming
impossible.  On Windows (no ``fcntl``) there is no lock at all: the product
targets Linux servers, but importing this module must not fail there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import errno
import json
import logging
import os
import shlex
import socket
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cdrp_lib.errors import InUseError

if sys.platform != "win32":
    import fcntl

__all__ = ["OUTPUTS_LOCK_NAME", "Holder", "exclusive", "folder_label", "held_by",
           "lock_file_beside", "outputs_lock_file"]

log = logging.getLogger(__name__)

#: The lock file of an outputs folder, inside it (the site lives in ``site/``, so
#: the lock is never part of what is published).
OUTPUTS_LOCK_NAME = ".cdrp.lock"
#: The suffix of a lock file kept beside the folder it locks (see :func:`lock_file_beside`).
LOCK_SUFFIX = ".cdrp.lock"
#: More than any holder record needs; a longer file is not ours and is not parsed.
HOLDER_MAX_BYTES = 8192
_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
# flock errors of a filesystem that cannot lock at all (as opposed to "someone holds it").
_NO_LOCKS = frozenset({errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS})


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, as written into the lock file for the next process's message."""

    activity: str  # what the holder is doing, e.g. "cdrp run"
    pid: int
    host: str
    since: str  # UTC, ISO 8601 to the second
    command: str
    # What the holder's helpers (batch workers) check before they publish: see held_by.
    token: str = ""

    @classmethod
    def this_process(cls, activity: str, token: str = "") -> Holder:
        now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return cls(activity, os.getpid(), socket.gethostname(), now, _command_line(), token)

    @classmethod
    def parse(cls, data: bytes) -> Holder | None:
        """The holder a lock file records; None when it is empty (not written yet) or not ours."""
        try:
            fields = json.loads(data.decode("utf-8"))
            return cls(**fields) if isinstance(fields, dict) else None
        except (ValueError, TypeError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            return None

    def to_bytes(self) -> bytes:
        return (json.dumps(dataclasses.asdict(self)) + "\n").encode("utf-8")

    def __str__(self) -> str:
        return (f"{self.activity} (pid {self.pid} on host {self.host} since {self.since}: "
                f"{self.command})")


def _command_line() -> str:
    """This process's command line as its user typed it: ``cdrp run --all``, not the venv path."""
    program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    if program == "__main__.py":  # python -m cdrp_lib
        program = f"python -m {Path(sys.argv[0]).parent.name}"
    elif program == "-c":
        program = "python -c"
    return " ".join([program, *map(shlex.quote, sys.argv[1:])])


def outputs_lock_file(outputs_dir: Path) -> Path:
    """The lock file of an outputs folder, the one every ``cdrp run`` into it takes."""
    return Path(outputs_dir) / OUTPUTS_LOCK_NAME


def lock_file_beside(folder: Path) -> Path:
    """``<parent>/.<name>.cdrp.lock``: locks ``folder`` from outside it.

    For a folder that is swapped whole (a publication): a lock file inside it
    would be swapped away with it, and would be published.
    """
    folder = Path(folder)
    return folder.parent / f".{folder.name}{LOCK_SUFFIX}"


def folder_label(folder: Path) -> str:
    """``outputs/``: a folder as the user likely named it (relative when under the working
    folder), with the slash that says it is a folder."""
    folder = Path(folder).absolute()
    with contextlib.suppress(ValueError):
        folder = folder.relative_to(Path.cwd())
    return f"{folder.as_posix().rstrip('/')}/"


@contextlib.contextmanager
def exclusive(lock_file: Path, *, what: str, activity: str, hint: str, token: str = "",
              waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the lock on ``lock_file`` for the ``with`` block, or raise :class:`InUseError` at once.

    ``what`` is the locked thing as the message names it (``outputs/``),
    ``activity`` what this process is doing, recorded for the next one's message
    (``cdrp run``), ``hint`` what its user can do instead.  ``token`` is
    recorded for :func:`held_by`.  Never waits unless ``waiting`` is given: a
    second batch queued behind the first would redo what the first just did.
    With ``waiting``, it is told the holder (``another cdrp run (pid ...)``)
    once, and the lock is waited for (``cdrp publish --wait``).
    """
    if sys.platform == "win32":  # no fcntl: unlocked, see the module docstring
        yield
        return
    fd = _take(Path(lock_file), what, hint, waiting)
    if fd is None:
        yield
        return
    try:
        _record(fd, Holder.this_process(activity, token))
        yield
    finally:
        _release(fd, Path(lock_file))


def held_by(lock_file: Path, token: str) -> bool:
    """True when some process holds the lock on ``lock_file`` and recorded ``token`` taking it.

    What a batch worker asks just before it publishes: a worker whose batch
    is gone (killed) or was replaced by another batch must not publish.  Also
    True where the filesystem cannot lock (the batch went ahead unlocked too).
    The probe takes a shared lock for an instant when nobody holds it, which
    is the answer: nobody holds it.
    """
    if sys.platform == "win32":
        return True
    try:
        fd = os.open(lock_file, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = Holder.parse(os.pread(fd, HOLDER_MAX_BYTES, 0))
            return holder is not None and holder.token == token
        except OSError as exc:
            return exc.errno in _NO_LOCKS
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _take(lock_file: Path, what: str, hint: str,
          waiting: Callable[[str], None] | None = None) -> int | None:
    """A descriptor holding the lock on ``lock_file``; None where its filesystem cannot lock."""
    told = False
    while True:
        fd = os.open(lock_file, _OPEN_FLAGS, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is None:
                raise InUseError(f"{what} is in use by {_holder_of(fd)}; {hint}") from None
            if not told:
                waiting(_holder_text(fd))
                told = True
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                os.close(fd)
                raise
        except OSError as exc:
            os.close(fd)
            if exc.errno not in _NO_LOCKS:
                raise
            log.warning("%s: the filesystem cannot lock (%s); going ahead without a lock, so "
                        "nothing stops another cdrp process writing %s too",
                        lock_file, exc.strerror, what)
            return None
        if _still_names(lock_file, fd):
            return fd
        os.close(fd)  # its holder deleted it as we opened it: lock the path's new file


def _holder_of(fd: int) -> str:
    """``another cdrp run (pid ...)`` from the lock file open on ``fd``, which is closed."""
    try:
        return _holder_text(fd)
    finally:
        os.close(fd)


def _holder_text(fd: int) -> str:
    """``another cdrp run (pid ...)`` from the lock file open on ``fd``."""
    holder = Holder.parse(os.pread(fd, HOLDER_MAX_BYTES, 0))
    return f"another {holder}" if holder else "another cdrp process (not yet recorded who)"


def _still_names(lock_file: Path, fd: int) -> bool:
    """True when ``lock_file`` is still the file open on ``fd`` (not deleted or replaced)."""
    try:
        on_disk = os.stat(lock_file)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (on_disk.st_dev, on_disk.st_ino) == (mine.st_dev, mine.st_ino)


def _record(fd: int, holder: Holder) -> None:
    """Write who holds the lock over what the previous holder wrote (read for messages only)."""
    data = holder.to_bytes()
    os.pwrite(fd, data, 0)
    os.ftruncate(fd, len(data))


def _release(fd: int, lock_file: Path) -> None:
    """Delete the lock file, then let go.

    In that order: a file deleted after letting go could already be locked
    by the next holder, and a third process would then lock a new file at
    the same path beside it.
    """
    try:
        with contextlib.suppress(OSError):
            lock_file.unlink()
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
