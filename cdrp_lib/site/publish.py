"""Atomic publication: a bulletin folder or a whole site swapped in, never half-written.

A folder is built beside its destination and swapped in with renames; the
previous version stays until the new one is complete (on Linux the swap is a
single ``renameat2(RENAME_EXCHANGE)``).  Names starting with ``.`` are working
files and are never published.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import secrets
import shutil
import stat
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from cdrp_lib.errors import InputError, NotFoundError, Problem
from cdrp_lib.locking import exclusive, folder_label, lock_file_beside, outputs_lock_file

PREVIOUS_SUFFIX = ".previous"
_WORKING_PREFIXES = (".",)

# renameat2(2) flags for an atomic swap of two directories on Linux.
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with renameat2; False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False  # kernel or filesystem (e.g. some network shares) without exchange
    raise OSError(err, os.strerror(err), str(b))


def _token() -> str:
    return f"{os.getpid()}-{secrets.token_hex(4)}"


def _swap_in(staging: Path, final: Path, previous: Path | None) -> None:
    """Put the complete ``staging`` folder at ``final``.

    The old ``final`` is moved to ``previous`` (replacing an older one) or
    deleted.  Without an atomic exchange there are two renames; if the second
    fails the old folder is put back, so ``final`` is never left half-done.
    """
    if not final.exists() and not final.is_symlink():
        os.rename(staging, final)
        return
    if _exchange(staging, final):
        old = staging
    else:
        old = final.with_name(f".{final.name}.old-{_token()}")
        os.rename(final, old)
        try:
            os.rename(staging, final)
        except BaseException:
            os.rename(old, final)
            raise
    if previous is None:
        shutil.rmtree(old, ignore_errors=True)
        return
    if previous.exists():
        shutil.rmtree(previous)
    os.rename(old, previous)


def _ignore_working_files(_dir: str, names: list[str]) -> list[str]:
    return [n for n in names if n.startswith(_WORKING_PREFIXES) or n.endswith(".tmp")]


def _reusing(staging: Path, current: Path) -> Callable[[str, str], object]:
    """``shutil.copy2``, except that a file the current publication ``current`` holds as
    it is in the source (same size, modification time and mode, which ``copy2`` keeps:
    rsync's quick check) is hard-linked from there instead, so publishing again writes
    only what changed.  Where links cannot be made (a share without them) it copies."""
    linking = True

    def copy(src: str, dst: str) -> object:
        nonlocal linking
        if linking:
            old = current / Path(dst).relative_to(staging)
            try:
                new, was = os.stat(src), os.lstat(old)
            except OSError:
                was = None
            if (was is not None and stat.S_ISREG(was.st_mode)
                    and (new.st_size, new.st_mtime_ns, new.st_mode)
                    == (was.st_size, was.st_mtime_ns, was.st_mode)):
                try:
                    os.link(old, dst)
                    return dst
                except OSError:
                    linking = False
        return shutil.copy2(src, dst)
    return copy


def _copy_then_swap(source: Path, final: Path, previous: Path | None,
                    reuse: bool = False) -> Path:
    staging = final.with_name(f".{final.name}.staging-{_token()}")
    try:
        if reuse and final.is_dir():
            shutil.copytree(source, staging, ignore=_ignore_working_files, symlinks=False,
                            copy_function=_reusing(staging, final))
        else:
            shutil.copytree(source, staging, ignore=_ignore_working_files, symlinks=False)
        _swap_in(staging, final, previous)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final


def publish_folder(new_dir: Path, final_dir: Path, *, required: Sequence[str] = ()) -> Path:
    """Replace the bulletin folder ``final_dir`` with a copy of the complete ``new_dir``.

    ``required`` names files that must be in ``new_dir`` (e.g. ``index.html``);
    if any is missing nothing is touched.  The copy is built beside
    ``final_dir`` and swapped in, so a reader sees the old folder or the new one.
    ``new_dir`` is not modified.  Returns ``final_dir``.
    """
    new_dir, final_dir = Path(new_dir), Path(final_dir)
    if not new_dir.is_dir():
        raise NotFoundError(f"{new_dir}: no such folder to publish")
    missing = [name for name in required if not (new_dir / name).is_file()]
    if missing:
        raise InputError([Problem(str(new_dir), "incomplete bulletin", "file present", "missing",
                                  column=name) for name in missing],
                         summary=f"{new_dir}: incomplete bulletin, missing {', '.join(missing)}")
    if final_dir.exists() and not final_dir.is_dir():
        raise ValueError(f"{final_dir}: exists and is not a folder")
    final_dir.parent.mkdir(parents=True, exist_ok=True)
    return _copy_then_swap(new_dir, final_dir, previous=None)


def _contains(outer: Path, inner: Path) -> bool:
    return inner == outer or outer in inner.parents


def publish_site(site_dir: Path, dest: Path,
                 waiting: Callable[[str], None] | None = None) -> Path:
    """Copy the whole site into ``dest`` (a share or web root) atomically.

    The site is copied to ``.<dest>.staging-*`` beside ``dest`` and swapped in;
    the publication it replaces is kept as ``<dest>.previous`` beside ``dest``
    (one generation, for a quick roll-back).  If anything fails, ``dest`` is as
    it was.  ``dest`` must not be a mount point itself (a folder inside the
    share is fine): a mount point cannot be renamed.

    A file unchanged since the publication it replaces (same size, modification
    time and mode: the copy keeps them) is hard-linked from it rather than copied,
    so publishing again writes only what changed; ``dest`` and ``<dest>.previous``
    then share those files, which is safe because a publication is never written
    in place, only replaced whole.  On a share without hard links every file is
    copied.

    One publication to ``dest`` at a time: two would interleave their swaps
    (each moving the other's copy to ``.previous`` or deleting it), so a second
    raises :class:`~cdrp_lib.errors.InUseError` at once.  The lock file,
    ``.<dest>.cdrp.lock`` beside ``dest``, is deleted when the publication ends.
    Nor while a batch writes the site (:func:`_source_lock`): that raises
    :class:`~cdrp_lib.errors.InUseError` naming it, or with ``waiting`` (told
    who holds it) the publication waits for the batch to finish.
    """
    site_dir, dest = Path(site_dir).resolve(), Path(dest).absolute()
    if not (site_dir / "index.html").is_file():
        raise NotFoundError(f"{site_dir}: no site to publish (index.html missing; run `cdrp run`)")
    dest_real = dest.resolve()
    if _contains(site_dir, dest_real) or _contains(dest_real, site_dir):
        raise ValueError(f"{dest}: the destination must be outside the site folder and not "
                         "contain it")
    if dest_real.parent == dest_real:
        raise ValueError(f"{dest}: cannot publish to a filesystem root")
    if not dest.parent.is_dir():
        raise NotFoundError(f"{dest.parent}: folder does not exist (create it or mount the share)")
    if dest.exists() and not dest.is_dir():
        raise ValueError(f"{dest}: exists and is not a folder")
    previous = dest.with_name(dest.name + PREVIOUS_SUFFIX)
    with contextlib.ExitStack() as held:
        held.enter_context(_source_lock(site_dir, waiting))
        held.enter_context(exclusive(lock_file_beside(dest), what=folder_label(dest),
                                     activity="cdrp publish", hint="wait for it to finish"))
        return _copy_then_swap(site_dir, dest, previous=previous, reuse=True)


def _source_lock(site_dir: Path, waiting: Callable[[str], None] | None
                 ) -> contextlib.AbstractContextManager[None]:
    """The outputs lock of the site's batch (``<outputs>/.cdrp.lock``), held while copying.

    A batch running on the site swaps bulletins in and rewrites the index as
    it goes: a copy taken meanwhile would mix new bulletins with the old index.
    So the publication refuses at once, naming the batch, or with ``waiting``
    (told who holds it) waits for the batch to end; and no batch starts on the
    site while it copies.  A source the user cannot write (a read-only share)
    has no batch running on it and is copied unlocked.
    """
    outputs = site_dir.parent
    lock = outputs_lock_file(outputs)
    if not os.access(outputs, os.W_OK):
        return contextlib.nullcontext()
    return exclusive(lock, what=folder_label(outputs), activity="cdrp publish",
                     hint="wait for it to finish, or use --wait", waiting=waiting)
