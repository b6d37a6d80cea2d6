"""An error fit for the public index: one line, no paths, no user or host names.

The index shows why a bulletin failed; the site check looks for the same leaks
in every published file, so both use this module's notion of a machine's identity.
"""

from __future__ import annotations

import contextlib
import functools
import getpass
import re
import socket
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


ERROR_MAX_CHARS = 300
# Account names that identify no one, so finding them in text is not a leak
# (and "root" is an ordinary English word).
GENERIC_ACCOUNTS = frozenset(
    {"root", "user", "admin", "runner", "jovyan", "ubuntu", "debian", "localhost", "nobody"}
)
MIN_IDENTITY_CHARS = 3


@functools.lru_cache(maxsize=1)
def _identities() -> tuple[str, ...]:
    """This machine's user and host names worth hiding (generic accounts are not)."""
    names: set[str] = set()
    with contextlib.suppress(OSError, KeyError):  # no user database entry in some containers
        names.add(getpass.getuser())
    host = socket.gethostname()
    names.update({host, host.split(".")[0]})
    return tuple(sorted(
        n for n in names
        if len(n) >= MIN_IDENTITY_CHARS and n.lower() not in GENERIC_ACCOUNTS
    ))


_PATH_CHARS = r"[^\s/'\"<>()\[\],;:]"
# Two components at least ("/srv/x"), so "</b>" or "a /b" are left alone.
_POSIX_PATH = re.compile(rf"(?<![\w.:/~<-])~?/(?:{_PATH_CHARS}+/)+({_PATH_CHARS}+)/?")
_WINDOWS_PATH = re.compile(r"\b[A-Za-z]:\\(?:[^\s\\'\"<>]+\\)*([^\s\\'\"<>]*)")
_FILE_URL = re.compile(r"file://\S*?([^\s/'\"<>]*)(?=[\s'\"<>]|$)")


def one_line_error(message: str) -> str:
    """An error message fit for the public index: one line, no paths or identities.

    Absolute paths become their last component (``/home/ann/runs/x.ipynb`` ->
    ``x.ipynb``), this machine's user and host names become ``[redacted]``,
    whitespace collapses to single spaces, and the text is cut at
    ``ERROR_MAX_CHARS``.  The result still needs HTML-escaping.
    """
    text = _FILE_URL.sub(lambda m: m.group(1), message)
    text = _WINDOWS_PATH.sub(lambda m: m.group(1), text)
    text = _POSIX_PATH.sub(lambda m: m.group(1), text)
    for name in _identities():
        text = re.sub(rf"(?<![\w]){re.escape(name)}(?![\w])", "[redacted]", text,
                      flags=re.IGNORECASE)
    text = " ".join(text.split())
    if len(text) > ERROR_MAX_CHARS:
        text = text[: ERROR_MAX_CHARS - 1].rstrip() + "…"
    return text or "unknown error"
