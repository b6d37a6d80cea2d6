"""Previewing the site over HTTP (``cdrp serve``).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from cdrp_lib.errors import NotFoundError

if TYPE_CHECKING:
    from http.server import ThreadingHTTPServer


def make_server(site_dir: Path, bind: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """An HTTP server previewing ``site_dir`` (port 0 picks a free port)."""
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    site = Path(site_dir).resolve()
    if not site.is_dir():
        raise NotFoundError(f"{site_dir}: no site folder (run `cdrp run` first)")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(site))
    return ThreadingHTTPServer((bind, port), handler)
