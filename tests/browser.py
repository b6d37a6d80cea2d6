"""Headless Chromium + axe-core: audit local HTML pages and take screenshots.

A reusable harness for the accessibility tests.  It drives Debian's chromium
through the Chrome DevTools Protocol over ``--remote-debugging-pipe`` (file
descriptors 3 and 4, NUL-separated JSON), so it needs no websocket library, no
port and no Node driver: only ``/usr/bin/chromium`` and, once, npm to install
axe-core from the npm registry into a cache folder.

    with Browser() as browser:
        audit = browser.audit(Path("outputs/site/index.html"), screenshot=Path("shot.png"))
    assert audit.serious() == []

``audit.requests`` lists every URL the page asked for that is not ``file:`` or
``data:``: a self-contained page has none.  Call :func:`require_browser` in a
test to skip it, saying what to install, when chromium or npm is missing.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser")
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--no-default-browser-check", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic",
    "--disable-extensions", "--disable-dev-shm-usage", "--hide-scrollbars",
    "--remote-debugging-pipe",
)
WINDOW = (1280, 1024)
AXE_PACKAGE = "axe-core@4"
AXE_CACHE_ENV = "CDRP_AXE_CACHE"
SERIOUS_IMPACTS = frozenset({"serious", "critical"})
DEFAULT_TIMEOUT_S = 60.0
# A screenshot taller than this is cut: Chromium fails on enormous surfaces.
MAX_SCREENSHOT_HEIGHT = 16000
INSTALL_CHROMIUM = "install Debian's chromium: apt-get install chromium"
INSTALL_NPM = "install npm to fetch axe-core from the npm registry: apt-get install npm"


_LAUNCHER = (
    "import fcntl, os, sys\n"
    "given = int(sys.argv[1]), int(sys.argv[2])\n"
    "high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in given]  # out of 3/4's way\n"
    "for fd in given:\n"
    "    os.close(fd)\n"
    "os.dup2(high[0], 3)\n"
    "os.dup2(high[1], 4)\n"
    "for fd in high:\n"
    "    os.close(fd)\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)


class BrowserUnavailable(RuntimeError):
    """Chromium, npm or axe-core cannot be had here; the message says what to install."""


class BrowserError(RuntimeError):
    """Chromium answered a DevTools command with an error, or stopped answering."""


def find_chromium() -> str | None:
    """Path to Debian's chromium (or a chromium-browser), or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _cache_dir() -> Path:
    explicit = os.environ.get(AXE_CACHE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cdrp" / "axe-core"


def axe_script(cache_dir: Path | None = None) -> Path:
    """Path to ``axe.min.js``, installing axe-core with npm into the cache on first use.

    The install goes to a private folder renamed into place when complete, so
    two test runs at once never see half an install.
    """
    cache = cache_dir or _cache_dir()
    target = cache / "v4"
    script = target / "node_modules" / "axe-core" / "axe.min.js"
    if script.is_file():
        return script
    npm = shutil.which("npm")
    if npm is None:
        raise BrowserUnavailable(f"npm not found: {INSTALL_NPM}")
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=cache, prefix=".install-"))
    try:
        done = subprocess.run(
            [npm, "install", "--prefix", str(work), AXE_PACKAGE, "--no-audit", "--no-fund",
             "--loglevel=error"],
            capture_output=True, text=True, timeout=300, check=False,
        )
        if done.returncode != 0 or not (work / "node_modules/axe-core/axe.min.js").is_file():
            raise BrowserUnavailable(
                f"npm could not install {AXE_PACKAGE} (exit {done.returncode}): "
                f"{done.stderr.strip()[-500:]}"
            )
        try:
            os.rename(work, target)
        except OSError:
            if not script.is_file():  # not another run finishing first
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return script


def missing_reason() -> str | None:
    """Why the harness cannot run here (what to install), or None when it can."""
    if find_chromium() is None:
        return f"chromium not found: {INSTALL_CHROMIUM}"
    if not (_cache_dir() / "v4/node_modules/axe-core/axe.min.js").is_file() and not shutil.which(
        "npm"
    ):
        return f"npm not found: {INSTALL_NPM}"
    return None


def require_browser() -> None:
    """Skip the calling test, saying what to install, unless the harness can run."""
    import pytest

    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    try:
        axe_script()
    except BrowserUnavailable as exc:
        pytest.skip(str(exc))


@dataclass(frozen=True)
class PageAudit:
    """What axe-core found on one page, what the page fetched, and its screenshot."""

    url: str
    violations: tuple[Mapping[str, Any], ...]
    requests: tuple[str, ...] = ()
    screenshot: Path | None = None

    def serious(self) -> list[Mapping[str, Any]]:
        """Violations of impact serious or critical."""
        return [v for v in self.violations if v.get("impact") in SERIOUS_IMPACTS]

    def summary(self) -> str:
        """One line per violation: impact, rule, help and the first offending element."""
        lines = []
        for v in self.violations:
            nodes = v.get("nodes") or [{}]
            target = nodes[0].get("target", "")
            lines.append(f"{v.get('impact')}: {v.get('id')}: {v.get('help')} "
                         f"({len(nodes)} element(s), e.g. {target})")
        return "\n".join(lines)


@dataclass
class _Pipe:
    """One DevTools connection: commands out on one pipe, answers and events back."""

    proc: subprocess.Popen[bytes]
    to_browser: int
    from_browser: int
    timeout: float
    _next_id: int = 0
    _buffer: bytes = b""
    events: list[dict[str, Any]] = field(default_factory=list)

    def send(self, method: str, params: Mapping[str, Any] | None = None,
             session: str | None = None) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method,
                                   "params": dict(params or {})}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            written = os.write(self.to_browser, data)
            data = data[written:]
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message')}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            if "method" in reply:
                self.events.append(reply)

    def wait_event(self, method: str, session: str | None = None) -> dict[str, Any]:
        while True:
            for i, event in enumerate(self.events):
                if event["method"] == method and (session is None
                                                  or event.get("sessionId") == session):
                    return self.events.pop(i)
            self.events.append(self._read())

    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"chromium did not answer within {self.timeout:g} s")
            ready, _, _ = select.select([self.from_browser], [], [], left)
            if ready:
                chunk = os.read(self.from_browser, 1 << 20)
                if not chunk:
                    raise BrowserError(f"chromium exited (status {self.proc.poll()})")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        parsed: dict[str, Any] = json.loads(raw)
        return parsed


class Browser:
    """A headless Chromium with a fresh profile, reused for many pages."""

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT_S, flags: tuple[str, ...] = ()) -> None:
        """``flags`` are more Chromium switches (``--force-device-scale-factor=4``)."""
        chromium = find_chromium()
        if chromium is None:
            raise BrowserUnavailable(f"chromium not found: {INSTALL_CHROMIUM}")
        self._axe = axe_script().read_text(encoding="utf-8")
        self._profile = Path(tempfile.mkdtemp(prefix="cdrp-chromium-"))
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        # The protocol pipe must be fds 3 (in) and 4 (out) in the child.  A tiny
        # Python launcher moves them there whatever numbers they have here (sh
        # redirections cannot name descriptors above 9).
        command = [
            sys.executable, "-c", _LAUNCHER, str(to_child_r), str(from_child_w), chromium,
            *CHROMIUM_FLAGS, *flags, f"--user-data-dir={self._profile}",
            f"--window-size={WINDOW[0]},{WINDOW[1]}", "about:blank",
        ]
        proc = subprocess.Popen(command, pass_fds=(to_child_r, from_child_w),
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self._pipe = _Pipe(proc, to_child_w, from_child_r, timeout)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close Chromium (politely, then firmly) and remove its profile."""
        proc = self._pipe.proc
        if proc.poll() is None:
            with suppress(BrowserError, OSError):
                self._pipe.send("Browser.close")
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for fd in (self._pipe.to_browser, self._pipe.from_browser):
            with suppress(OSError):
                os.close(fd)
        shutil.rmtree(self._profile, ignore_errors=True)

    @contextmanager
    def _tab(self) -> Iterator[str]:
        target = self._pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self._pipe.send("Target.attachToTarget",
                                  {"targetId": target, "flatten": True})["sessionId"]
        try:
            yield session
        finally:
            self._pipe.send("Target.closeTarget", {"targetId": target})
            self._pipe.events = [e for e in self._pipe.events if e.get("sessionId") != session]

    def _evaluate(self, session: str, expression: str) -> Any:
        reply = self._pipe.send("Runtime.evaluate", {
            "expression": expression, "awaitPromise": True, "returnByValue": True,
        }, session)
        if "exceptionDetails" in reply:
            details = reply["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"script failed in the page: {text}")
        return reply.get("result", {}).get("value")

    def _requests(self, session: str, own: str) -> tuple[str, ...]:
        """Every URL the tab asked for that is not ``data:`` nor under ``own`` (its origin)."""
        return tuple(sorted({
            e["params"]["request"]["url"] for e in self._pipe.events
            if e.get("sessionId") == session and e["method"] == "Network.requestWillBeSent"
            and not e["params"]["request"]["url"].startswith(("data:", own))
        }))

    def run(self, url: str, expression: str, *, settle: str = "") -> tuple[Any, tuple[str, ...]]:
        """Open ``url`` (``http://...`` or a file), evaluate ``expression`` (a promise is
        awaited) and return its value with the URLs the tab fetched outside its origin.

        ``settle``, if given, is a JavaScript condition polled (every 100 ms, up to the
        browser timeout) before ``expression`` runs, e.g. until search results appear.
        """
        with self._tab() as session:
            self._open(session, url, settle)
            value = self._evaluate(session, expression)
            return value, self._requests(session, _origin(url))

    def _open(self, session: str, url: str, settle: str) -> None:
        send = self._pipe.send
        send("Page.enable", session=session)
        send("Network.enable", session=session)
        send("Page.navigate", {"url": url}, session)
        self._pipe.wait_event("Page.loadEventFired", session)
        if settle:
            self._settle(session, settle)

    def _settle(self, session: str, condition: str) -> None:
        """Poll ``condition``; a page that navigates meanwhile (a refresh ``<meta>``, a
        followed link) is waited for and polled again."""
        for _ in range(10):
            try:
                self._evaluate(session, _poll(condition, self._pipe.timeout))
                return
            except BrowserError as exc:
                if "navigated" not in str(exc):
                    raise
                self._pipe.wait_event("Page.loadEventFired", session)
        raise BrowserError(f"the page kept navigating while waiting for {condition}")

    def audit(self, page: Path | str, *, screenshot: Path | None = None,
              axe_options: Mapping[str, Any] | None = None, settle: str = "") -> PageAudit:
        """Open ``page`` (a file, or an ``http://`` URL), run axe-core on it and optionally
        save a full-page PNG; ``settle`` as in :meth:`run`."""
        url = page if isinstance(page, str) else Path(page).resolve().as_uri()
        send = self._pipe.send
        with self._tab() as session:
            self._open(session, url, settle)
            requests = self._requests(session, _origin(url))
            self._evaluate(session, self._axe)
            options = json.dumps(dict(axe_options or {"resultTypes": ["violations"]}))
            violations = self._evaluate(
                session,
                f"axe.run(document, {options}).then(r => JSON.parse(JSON.stringify(r.violations)))",
            )
            shot = None
            if screenshot is not None:
                metrics = send("Page.getLayoutMetrics", session=session)
                size = metrics.get("cssContentSize") or metrics["contentSize"]
                clip = {"x": 0, "y": 0, "scale": 1,
                        "width": max(1, int(size["width"])),
                        "height": max(1, min(int(size["height"]), MAX_SCREENSHOT_HEIGHT))}
                data = send("Page.captureScreenshot", {
                    "format": "png", "captureBeyondViewport": True, "clip": clip,
                }, session)["data"]
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                screenshot.write_bytes(base64.b64decode(data))
                shot = screenshot
        return PageAudit(url, tuple(violations or ()), requests, shot)


    def inspect(self, page: Path, expression: str) -> Any:
        """Open ``page`` from disk and return the value of a JavaScript ``expression`` in it."""
        url = Path(page).resolve().as_uri()
        with self._tab() as session:
            self._pipe.send("Page.enable", session=session)
            self._pipe.send("Page.navigate", {"url": url}, session)
            self._pipe.wait_event("Page.loadEventFired", session)
            return self._evaluate(session, expression)

    def print_pdf(self, page: Path, out: Path) -> Path:
        """Print ``page`` as the browser's print dialog would, honouring its CSS @page size."""
        url = Path(page).resolve().as_uri()
        with self._tab() as session:
            self._pipe.send("Page.enable", session=session)
            self._pipe.send("Page.navigate", {"url": url}, session)
            self._pipe.wait_event("Page.loadEventFired", session)
            data = self._pipe.send("Page.printToPDF", {
                "preferCSSPageSize": True, "printBackground": True,
            }, session)["data"]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(base64.b64decode(data))
        return out

def _origin(url: str) -> str:
    """``file:`` for a file, else ``scheme://host:port/``: what a page may fetch from."""
    if url.startswith("file:"):
        return "file:"
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}/"


def _poll(condition: str, timeout: float) -> str:
    """A promise resolving once ``condition`` is true (rejecting after ``timeout`` s)."""
    return (f"new Promise((ok, fail) => {{ const end = Date.now() + {int(timeout * 1000)};"
            f" (function tick() {{ try {{ if ({condition}) return ok(true); }} catch (e) {{}}"
            " if (Date.now() > end) return fail(new Error('page never settled'));"
            " setTimeout(tick, 100); })(); })")


def audit_page(page: Path, *, screenshot: Path | None = None) -> PageAudit:
    """Audit one page with a browser of its own (use :class:`Browser` for many pages)."""
    with Browser() as browser:
        return browser.audit(page, screenshot=screenshot)
