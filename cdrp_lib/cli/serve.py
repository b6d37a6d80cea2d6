"""``cdrp serve``: preview the bulletin site over HTTP on this machine.

Binds to 127.0.0.1 by default so a preview of unpublished bulletins is not
visible to the network; ``--bind 0.0.0.0`` exposes it deliberately.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "preview the bulletin site in a browser (http://127.0.0.1:8000/ by default)"
DEFAULT_SITE = Path("outputs/site")
DEFAULT_PORT = 8000
DEFAULT_BIND = "127.0.0.1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", type=Path, default=DEFAULT_SITE,
                        help=f"the site folder to serve (default {DEFAULT_SITE})")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port to listen on; 0 picks a free one (default {DEFAULT_PORT})")
    parser.add_argument("--bind", default=DEFAULT_BIND,
                        help=f"address to listen on (default {DEFAULT_BIND}: this machine only)")


def run(args: argparse.Namespace) -> int:
    from cdrp_lib.site import make_server

    server = make_server(args.site, args.bind, args.port)
    host, port = str(server.server_address[0]), int(server.server_address[1])
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    print(f"Serving {args.site} at http://{shown}:{port}/ (Ctrl-C to stop)", flush=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: listening on {host}: other machines can see this preview",
              file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        server.server_close()
    return 0
