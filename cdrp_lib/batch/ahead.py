"""The next page's kernel, started while this page runs (issue 13).

A page waits for its kernel: the fork, ipykernel binding its sockets and
answering ``kernel_info``.  The kernel's own CPU for that is small (about
0.15 s), but while the worker waits for it no other work of the bulletin can
use the core, and a batch with as many workers as cores leaves it idle.  So,
while a page runs, the worker starts the kernel the next page of the same
bulletin will use.  Each page still gets a fresh kernel of its own: one that
has run no notebook code, started with the same arguments, working directory
and environment (the job's bulletin cache folder included) as the one
nbclient would have started for it, and shut down when its page ends.  Only
the moment of its start moves.

Kernels are started for the next page of the same bulletin only: the next
bulletin's environment is not known yet, and a kernel started for nothing costs
as much as one used.

nbclient takes a started kernel's manager as ``km`` (papermill passes it on)
and then neither starts nor shuts that kernel, so :func:`close_kernel` does,
with the clients the manager made (their sockets) closed first.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from typing import Any

from cdrp_lib.batch.jobs import BatchSettings

# nbclient's own default for a kernel it starts (NotebookClient.ipython_hist_file).
HISTORY_ARGUMENT = "--HistoryManager.hist_file=:memory:"


@functools.cache
def _manager_class(fork: bool) -> type[Any]:
    """The kernel manager a page's kernel is started with, remembering its clients."""
    from jupyter_client.manager import AsyncKernelManager

    from cdrp_lib.batch.kernels import forking_kernel_manager_class

    base: type[Any] = forking_kernel_manager_class() if fork else AsyncKernelManager

    class PageKernelManager(base):  # type: ignore[misc, valid-type]
        """Keeps the clients it hands out, so that whoever shuts the kernel closes them."""

        def client(self, **kwargs: Any) -> Any:
            made = super().client(**kwargs)
            self.page_clients.append(made)
            return made

        @property
        def page_clients(self) -> list[Any]:
            clients: list[Any] = self.__dict__.setdefault("_page_clients", [])
            return clients

    return PageKernelManager


def start_kernel(settings: BatchSettings, arguments: Sequence[str], fork: bool) -> Any:
    """A started kernel's manager, as nbclient would start it for a page of ``settings``."""
    from jupyter_core.utils import run_sync

    manager = _manager_class(fork)(kernel_name=settings.kernel_name)
    extra = list(arguments)
    if not any(a.startswith("--HistoryManager.hist_file") for a in extra):
        extra.append(HISTORY_ARGUMENT)
    run_sync(manager.start_kernel)(extra_arguments=extra, cwd=str(settings.project_root))
    return manager


def close_kernel(manager: Any) -> None:
    """Close the manager's clients, kill its kernel and free its files and ports.

    Safe on a manager nbclient already cleaned up (a kernel that failed to start).
    """
    from jupyter_core.utils import run_sync

    for client in getattr(manager, "page_clients", ()):
        with contextlib.suppress(Exception):
            client.stop_channels()
    if manager.has_kernel:
        run_sync(manager.shutdown_kernel)(now=True)
    else:
        run_sync(manager.cleanup_resources)()


class KernelsAhead:
    """At most one kernel started ahead, for the next page of one bulletin in this worker."""

    def __init__(self, settings: BatchSettings, arguments: Sequence[str], fork: bool) -> None:
        self._settings, self._arguments, self._fork = settings, tuple(arguments), fork
        self._waiting: Any | None = None

    def start(self) -> None:
        """Start the next page's kernel now, unless one waits already (or the batch's
        settings say not to: ``kernels_ahead``).

        A kernel that fails to start here is left to the page, which starts its
        own the usual way (and reports the failure if that fails too).
        """
        if self._waiting is None and self._settings.kernels_ahead:
            try:
                self._waiting = start_kernel(self._settings, self._arguments, self._fork)
            except Exception:
                self._waiting = None

    def take(self) -> Any | None:
        """The kernel started ahead, now the caller's to close; None if there is none."""
        manager, self._waiting = self._waiting, None
        return manager

    def close(self) -> None:
        """Shut down a kernel started ahead that no page took (a job that stopped early)."""
        manager = self.take()
        if manager is not None:
            with contextlib.suppress(Exception):
                close_kernel(manager)


@contextlib.contextmanager
def kernels_ahead(settings: BatchSettings, arguments: Sequence[str],
                  fork: bool) -> Iterator[KernelsAhead]:
    """A :class:`KernelsAhead` whose unused kernel is shut down when the block ends."""
    ahead = KernelsAhead(settings, arguments, fork)
    try:
        yield ahead
    finally:
        ahead.close()
