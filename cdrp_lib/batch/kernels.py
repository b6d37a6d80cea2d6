"""Fresh kernels without paying Python's import bill for each one: a forking "zygote".

A theme page's own work takes a second or two, but a new kernel first starts
Python, imports ipykernel and IPython, then the notebook imports pandas,
matplotlib, DuckDB and cdrp_lib: on a 2-core machine that doubles the cost of
every page.  Each batch worker therefore starts one zygote process that
imports all of that once and then only forks.  Each notebook still gets a
fresh kernel: a new process whose Python has never run any notebook code,
with its own working directory, environment and connection file; what it
shares with its siblings is only the module cache, as if those imports had
been the first lines of the notebook.

Only the launch changes: :class:`ForkingKernelManager` is jupyter_client's
``AsyncKernelManager`` with ``_async_launch_kernel`` (the documented override
point) asking the zygote to fork instead of running the kernelspec's command.
Everything else (connection file, ports, heartbeat, shutdown) is the usual
code.  Where ``os.fork`` is missing (Windows), or the kernelspec is not
ipykernel, or no zygote runs in this process, kernels start the usual way.

The matplotlib backend is set to the inline one before matplotlib is imported,
as ipykernel itself would do.  Neither ``matplotlib.pyplot`` nor the inline
backend module ``matplotlib_inline.backend_inline`` is preloaded: importing the
backend module is what hooks it into the IPython shell (it registers the
figure formatters and the ``flush_figures`` post-execute hook), and in the
zygote there is no shell yet, so a preloaded backend module stayed unhooked and
every ``plt.show()`` figure in a forked kernel was displayed as text only, which
the page drops.  The kernel imports it at its first ``import matplotlib.pyplot``,
as a kernel started the usual way does.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from typing import IO, Any

# What a theme page imports, in dependency order; a module that is missing or
# fails to import is skipped (preloading is an optimisation, never a requirement).
PRELOAD_MODULES: tuple[str, ...] = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "IPython.core.interactiveshell",
    "numpy",
    "pandas",
    "duckdb",
    "yaml",
    "pydantic",
    "matplotlib",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "scipy.stats",
    "statsmodels.api",
    "cdrp_lib.pages",
    "cdrp_lib.charts",
    "cdrp_lib.tables",
    "cdrp_lib.assess",
    "cdrp_lib.narrative",
    "cdrp_lib.store",
    "cdrp_lib.params",
    # What every kernel imports while it starts, measured as the modules a forked kernel
    # holds that the zygote did not: about a quarter of a second a page when left to it.
    "ipykernel.debugger",
    "IPython.core.debugger",
    "IPython.core.completerlib",
    "IPython.core.oinspect",
    "IPython.extensions.storemagic",
    "sqlite3",
    "cdrp_lib.analyst",
    # What the pages import as they run, measured the same way after a theme page and the
    # front page (issue 13): commentary's Markdown, the SVG backend, the analyst's table.
    "IPython.core.logger",
    "cdrp_lib.commentary",
    "cdrp_lib.pages.monitoring",
    "cdrp_lib.pages.peers",
    "matplotlib.backends.backend_svg",
    "mistune",
    "mistune.plugins.footnotes",
    "mistune.plugins.formatting",
    "mistune.plugins.table",
    "pandas.io.formats.html",
    "pandas.io.formats.string",
    "pandas.core.methods.to_dict",
    "cdrp_lib.coverage",
    "encodings.utf_8_sig",
    # What a kernel's IPKernelApp reads its connection file with: jupyter_client looks up
    # this machine's addresses with psutil (imported for it), once per process; done in
    # the zygote (preload_modules), each kernel saves about 15 ms of CPU (issue 13).
    "psutil",
    "jupyter_client.localinterfaces",
)
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
# Must be imported inside the kernel, once its shell exists (see the module docstring).
NOT_PRELOADED = ("matplotlib_inline.backend_inline", "matplotlib.pyplot")
KERNEL_MODULE = "ipykernel_launcher"


# prctl(2): the signal this process gets when its parent dies (Linux).
PR_SET_PDEATHSIG = 1


def die_with_parent_signal() -> None:
    """Have Linux SIGKILL this process when its parent dies (nothing elsewhere).

    A batch worker, its zygote and the zygote's kernels each call it, so that
    killing the batch (even with SIGKILL) ends the whole chain at once.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


# ------------------------------------------------------------------ zygote side


def _reap(signum: int, frame: Any) -> None:
    """Collect every child kernel that ended, so none lingers as a zombie."""
    del signum, frame
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _become_kernel(request: dict[str, Any], out_fd: int) -> None:
    """In the forked child: turn into an ipykernel process as the kernelspec would start it."""
    os.setsid()  # its own process group, as jupyter_client starts kernels
    die_with_parent_signal()  # the zygote's death (its worker's) ends the kernel
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)  # the request pipe is not the kernel's stdout: its output joins stderr
    os.close(out_fd)
    env = dict(request["env"])
    env["JPY_PARENT_PID"] = str(os.getppid())  # ipykernel exits when the zygote does
    os.environ.clear()
    os.environ.update(env)
    os.chdir(request["cwd"])
    sys.argv = [KERNEL_MODULE, *request["args"]]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


def preload_modules(preload: Sequence[str] = PRELOAD_MODULES) -> None:
    """Import what every kernel needs, then freeze it for the garbage collector.

    ``gc.freeze()`` moves every object made so far (the modules' hundreds of
    thousands) to a generation the collector never visits.  Without it, each
    forked kernel's first full collection walks all of them, and writing their
    GC headers copies nearly every page of the inherited heap: CPU each kernel
    pays for objects that are never garbage.
    """
    import gc
    import importlib

    for name in preload:
        if name in NOT_PRELOADED:
            continue
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    for name in NOT_PRELOADED:  # in case a preloaded module imported it after all
        sys.modules.pop(name, None)
    with contextlib.suppress(Exception):  # the machine's addresses, looked up once for all
        from jupyter_client.localinterfaces import localhost

        localhost()
    gc.collect()
    gc.freeze()


#: The params folder a bulletin's pages read by default, inside the kernels' working folder
#: (the project folder): cdrp_lib.pages.bulletin's DEFAULT_PARAMS.
PROJECT_PARAMS = "params"
_WARMED: set[str] = set()


def warm_kernels(cwd: str) -> None:
    """Parse the params of the project at ``cwd`` once here, for every kernel forked later;
    and, the first time, make what every kernel's first charts would make.

    A bulletin's first page parses every params file (measures, every partnership,
    bulletin.yaml) in its fresh kernel: about a tenth of a CPU-second a bulletin.
    Parsed once in the zygote after its first fork, each later kernel inherits the
    result in :func:`cdrp_lib.assess.cached_params`'s cache, which is keyed on every
    file's path, size and modification time: a kernel still parses a folder edited
    since, and a batch reading another params folder parses its own as before.  Like
    the preloaded modules, it is what the kernel would have made itself, made earlier.
    So are the charts' figure templates, fonts and month-label measurements
    (:func:`cdrp_lib.charts.warm_up`, about half a CPU-second once per zygote, a few
    hundredths of a second a page).  Done after the first fork, while that kernel starts.
    """
    if cwd in _WARMED:
        return
    first = not _WARMED
    _WARMED.add(cwd)
    import gc
    from pathlib import Path

    if first:  # and, once, what every kernel's first charts would make (templates, fonts)
        with contextlib.suppress(Exception):  # an optimisation only: a kernel makes its own
            from cdrp_lib import charts

            charts.warm_up()

    folder = Path(cwd) / PROJECT_PARAMS
    with contextlib.suppress(Exception):  # broken params are the kernel's to report
        if folder.is_dir():
            from cdrp_lib.assess import cached_params

            cached_params(folder)
    gc.collect()
    gc.freeze()  # as the preloaded modules: no kernel's collector walks them


def serve(preload: Sequence[str] = PRELOAD_MODULES) -> None:
    """The zygote's main loop: one JSON request per line on stdin, one pid per line back.

    A request is ``{"args": [...], "env": {...}, "cwd": "..."}``; the reply is
    ``{"pid": N}``.  The zygote ends when stdin closes (its worker is gone).
    """
    die_with_parent_signal()  # a worker's death ends its zygote, and so its kernels
    # Replies get their own descriptor; anything else printed goes to stderr.
    out_fd = os.dup(1)
    os.dup2(2, 1)
    replies = os.fdopen(out_fd, "w", buffering=1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the worker decides when to stop
    # ipykernel reads these at import: the kernels' parent is this process, and
    # their matplotlib backend is the inline one, as for any ipykernel.
    os.environ["JPY_PARENT_PID"] = str(os.getpid())
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    # ipykernel.debugger imports debugpy, which warns about frozen modules on stderr.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    preload_modules(preload)
    signal.signal(signal.SIGCHLD, _reap)
    requests = sys.stdin
    replies.write(json.dumps({"ready": os.getpid()}) + "\n")
    while True:
        try:
            line = requests.readline()
        except InterruptedError:  # pragma: no cover - SIGCHLD during the read
            continue
        if not line:
            return
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            try:
                _become_kernel(request, out_fd)
            finally:
                os._exit(0)
        replies.write(json.dumps({"pid": pid}) + "\n")
        warm_kernels(str(request["cwd"]))  # once: the first kernel is already on its way


# ------------------------------------------------------------------ worker side


class Zygote:
    """A running zygote process and the pipe to it; one per worker process."""

    def __init__(self, preload: Sequence[str] = PRELOAD_MODULES) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "cdrp_lib.batch.kernels", *preload],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
            close_fds=True)
        self.ready = False

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        stdin, stdout = self._process.stdin, self._process.stdout
        if stdin is None or stdout is None or self._process.poll() is not None:
            raise OSError("the kernel zygote is not running")
        return stdin, stdout

    def wait_ready(self) -> None:
        """Block until the zygote finished its imports."""
        if not self.ready:
            reply = json.loads(self._pipes()[1].readline() or "{}")
            if "ready" not in reply:
                raise OSError("the kernel zygote did not start")
            self.ready = True

    def fork_kernel(self, args: Sequence[str], env: dict[str, str], cwd: str) -> int:
        """A new kernel process running ``ipykernel_launcher <args>``; returns its pid."""
        self.wait_ready()
        stdin, stdout = self._pipes()
        stdin.write(json.dumps({"args": list(args), "env": env, "cwd": cwd}) + "\n")
        stdin.flush()
        reply = json.loads(stdout.readline() or "{}")
        if "pid" not in reply:
            raise OSError("the kernel zygote did not fork")
        return int(reply["pid"])

    def close(self) -> None:
        with contextlib.suppress(OSError):
            if self._process.stdin is not None:
                self._process.stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


_ZYGOTE: Zygote | None = None


def start_zygote(preload: Sequence[str] = PRELOAD_MODULES) -> Zygote | None:
    """Start this process's zygote (None where fork is unavailable)."""
    global _ZYGOTE
    if not hasattr(os, "fork") or sys.platform == "win32":
        return None
    if _ZYGOTE is None:
        _ZYGOTE = Zygote(preload)
    return _ZYGOTE


def current_zygote() -> Zygote | None:
    return _ZYGOTE


def stop_zygote() -> None:
    global _ZYGOTE
    if _ZYGOTE is not None:
        _ZYGOTE.close()
        _ZYGOTE = None


# How often the end of a killed kernel is looked for (jupyter_client's own wait sleeps
# 0.1 s between looks: a tenth of a second per page, a second per bulletin's pages).
EXIT_POLL_SECONDS = 0.005


def _exited(pid: int) -> bool:
    """Whether ``pid`` has ended: gone, or (Linux) a zombie its parent has not reaped yet."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # gone (or the pid reused by another user)
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError):  # no /proc (not Linux), or it ended meanwhile
        return False


class _ForkedKernel:
    """A ``subprocess.Popen`` look-alike for a kernel that is the zygote's child, not ours.

    We cannot ``waitpid`` it; the zygote reaps it.  It has ended once it is a
    zombie (Linux) or signalling the pid fails: that is how its end is seen.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and _exited(self.pid):
            self.returncode = 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(EXIT_POLL_SECONDS)
        return self.returncode or 0

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _kernel_args(cmd: Sequence[str]) -> list[str] | None:
    """The arguments after ``-m ipykernel_launcher`` in a kernelspec command, if it is one."""
    parts = list(cmd)
    for i in range(len(parts) - 1):
        if parts[i] == "-m" and parts[i + 1] == KERNEL_MODULE:
            return parts[i + 2:]
    return None


@functools.cache
def ready_kernel_client_class() -> type[Any]:
    """``AsyncKernelClient`` whose wait for a new kernel ends when the kernel is ready.

    jupyter_client's ``wait_for_ready`` ends by reading the IOPub channel until
    it has been silent for 0.2 s: a fifth of a second's idle core for every
    page, more than a page's kernel start costs in CPU (issue 13).  What it
    drains are the status messages of the ``kernel_info`` requests, and nbclient
    ignores any IOPub message whose parent is not the cell it runs, so the
    drain here takes only what has already arrived.  The rest (asking for
    ``kernel_info`` until the shell replies and IOPub is seen connected, the
    deadline, a dead kernel) is jupyter_client 8's own loop.
    """
    import time
    from queue import Empty

    from jupyter_client.asynchronous.client import AsyncKernelClient

    class ReadyKernelClient(AsyncKernelClient):  # type: ignore[misc]
        async def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                self.kernel_info()
                try:
                    msg = await self.shell_channel.get_msg(timeout=1)
                except Empty:
                    pass
                else:
                    if msg["msg_type"] == "kernel_info_reply":
                        try:  # IOPub is connected once the request's status arrives on it
                            await self.iopub_channel.get_msg(timeout=0.2)
                        except Empty:
                            pass
                        else:
                            self._handle_kernel_info_reply(msg)
                            break
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
            while True:  # what has arrived, not 0.2 s of silence
                try:
                    await self.iopub_channel.get_msg(timeout=0)
                except Empty:
                    break

    return ReadyKernelClient


@functools.cache
def forking_kernel_manager_class() -> type[Any]:
    """``AsyncKernelManager`` launching through this process's zygote when there is one,
    whose clients wait for a new kernel no longer than it takes to be ready."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    client_class = ready_kernel_client_class()

    class ForkingKernelManager(AsyncKernelManager):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.client_factory = client_class

        async def _async_wait(self, pollinterval: float = 0.1) -> None:
            """Wait for a killed kernel's end, looking every EXIT_POLL_SECONDS, not 0.1 s."""
            del pollinterval
            await super()._async_wait(pollinterval=EXIT_POLL_SECONDS)

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            zygote = current_zygote()
            args = _kernel_args(kernel_cmd)
            provisioner = self.provisioner
            if zygote is None or args is None or not isinstance(provisioner, LocalProvisioner):
                await super()._async_launch_kernel(kernel_cmd, **kw)
                return
            env = {str(k): str(v) for k, v in (kw.get("env") or os.environ).items()}
            cwd = str(kw.get("cwd") or os.getcwd())
            try:
                pid = zygote.fork_kernel(args, env, cwd)
            except (OSError, ValueError):
                # A zygote that died (out of memory, killed) is dropped; this kernel and
                # the next ones start the usual way.
                stop_zygote()
                await super()._async_launch_kernel(kernel_cmd, **kw)
                return
            forked: Any = _ForkedKernel(pid)  # duck-types the Popen LocalProvisioner expects
            provisioner.process = forked
            provisioner.pid = pid
            provisioner.pgid = pid
            provisioner.cwd = cwd
            self._reconcile_connection_info(provisioner.connection_info)

    return ForkingKernelManager


if __name__ == "__main__":
    serve(sys.argv[1:] or PRELOAD_MODULES)
    # Nothing to tidy (the kernels are gone); an interpreter's shutdown would only walk the
    # frozen objects, and some extension modules then complain of "leaks" on stderr.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
