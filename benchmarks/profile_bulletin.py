"""Where one bulletin's time goes, in one batch worker (issue 13).

The machine is shared, so wall clocks mostly measure the other users: each
part is measured as CPU seconds of the process doing it.  A kernel's CPU is
read from its zygote's count of its reaped children's CPU (``/proc``, Linux),
so it holds everything the kernel process did.  Rows:

* kernel start and stop: the kernel's and the worker's CPU for papermill
  running an empty notebook in a fresh kernel forked from a zygote, as the
  batch does (mean of five; the best wall of the five is printed above the
  table: on a loaded machine it is mostly waiting for a core);
* papermill and nbclient: the worker's own CPU while a page's notebook runs
  (parameters, messages, writing the executed notebook), less the worker's
  share of kernel start and stop;
* in a child forked from a process that has imported what the zygote imports,
  as the zygote does (so each page starts as cold as a kernel does), each
  page's notebook cells with timers around ``open_bulletin`` (params, store,
  assessing), the charts (``cdrp_lib.charts``) and ``page.write()`` (CSVs,
  figures file); the rest of the cells' CPU is "other parts" (tables, sentences);
* kernel, the rest: the page's kernel CPU in the batch less its start and stop
  and its cells as timed above (displaying outputs, messages; noise can make
  it a little negative, shown as 0);
* render: nbconvert on the executed notebook, in the worker (whose exporter and
  template are made once beforehand, as each batch worker does when it starts).

The pages run in the batch's order (theme pages, then the front page) and share
the bulletin cache as under the batch.  ``cdrp run --workers 1`` on the same
bulletin is timed too, for reference.

Run: ``python benchmarks/profile_bulletin.py [--keep DIR]`` (prints one table).
"""

from __future__ import annotations

import argparse
import ast
import functools
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
THEMES = ("summary", "violence", "acquisitive_crime", "asb", "domestic_abuse", "perception")
MONTH = "2025-12"
PRODUCED_ON = "2026-01-15"


def _cdrp(*args: str) -> list[str]:
    return [str(BIN / "cdrp"), *args]


def prepare(work: Path) -> tuple[Path, str]:
    raw, store = work / "raw", work / "store.duckdb"
    subprocess.run(_cdrp("demo-data", "--out", str(raw), "--partnerships", "1"),
                   cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(_cdrp("ingest", str(raw), "--store", str(store)), cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import duckdb

    with duckdb.connect(str(store), read_only=True) as con:
        row = con.execute("SELECT id FROM partnerships WHERE synthetic ORDER BY id").fetchone()
    if row is None:
        raise SystemExit("the demo store holds no synthetic partnership")
    return store, str(row[0])


def batch_pages(work: Path, store: Path, pid: str) -> tuple[float, dict[str, tuple[float, float]]]:
    """Wall seconds of ``cdrp run --workers 1`` and each page's (execute, render) seconds."""
    outputs = work / "out"
    t0 = time.perf_counter()
    subprocess.run(_cdrp("run", "--month", MONTH, "--partnership", pid, "--workers", "1",
                         "--store", str(store), "--outputs", str(outputs),
                         "--produced-on", PRODUCED_ON), cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    manifest = max((outputs / "runs" / "manifests").glob("*.json"), key=lambda p: p.stat().st_mtime)
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    pages = {p["theme"]: (float(p["execute_seconds"]), float(p["render_seconds"]))
             for job in doc["jobs"] for p in job["pages"]}
    return wall, pages


def import_seconds() -> float:
    """A fresh interpreter importing what the zygote preloads, less a bare one."""
    from cdrp_lib.batch.kernels import NOT_PRELOADED, PRELOAD_MODULES

    names = [m for m in PRELOAD_MODULES if m not in NOT_PRELOADED]
    code = f"import importlib\nfor m in {names!r}:\n    importlib.import_module(m)"

    def timed(*args: str) -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, *args], check=True, cwd=REPO)
        return time.perf_counter() - t0

    return min(timed("-c", code) for _ in range(2)) - min(timed("-c", "pass") for _ in range(2))


class Timers:
    """Seconds spent in wrapped functions, by label (outermost call only)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._depth = 0

    def wrap(self, label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self._depth:
                return fn(*args, **kwargs)
            self._depth += 1
            t0 = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[label] += time.process_time() - t0
                self._depth -= 1

        return timed


def _page_cells(theme: str, store: Path, pid: str, work: Path) -> dict[str, float]:
    """One page's notebook cells, timed by part (run in a forked child, as a kernel is)."""
    import nbformat

    import cdrp_lib
    from cdrp_lib import charts
    from cdrp_lib.pages import page as page_module

    timers = Timers()
    # Every chart function the package exports (the funnel and the small multiples too:
    # a list of names once left those out and counted them as "other parts").
    for name in charts.__all__:
        fn = getattr(charts, name)
        if inspect.isfunction(fn):
            setattr(charts, name, timers.wrap("charts", fn))
    page_module.PageBase.write = timers.wrap(  # type: ignore[method-assign]
        "write", page_module.PageBase.write)
    cdrp_lib.open_bulletin = timers.wrap(  # type: ignore[assignment]
        "open_bulletin", cdrp_lib.open_bulletin)
    namespace: dict[str, Any] = {
        "display": lambda *objs: [getattr(o, "_repr_html_", lambda: None)() for o in objs],
        "partnership": pid, "month": MONTH, "store": str(store),
        "params_dir": str(REPO / "params"), "output_dir": str(work / "cells" / theme),
        "produced_on": PRODUCED_ON}
    nb = nbformat.read(REPO / "notebooks" / f"{theme}.ipynb", as_version=4)  # type: ignore[no-untyped-call]
    t0 = time.process_time()
    for cell in nb.cells:
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        tree = ast.parse(cell.source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, theme, "exec"), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), theme, "eval"),
                         namespace)
            getattr(value, "_repr_html_", lambda: None)()
    return {**timers.seconds, "cells": time.process_time() - t0}


def cells_in_process(store: Path, pid: str, work: Path) -> dict[str, dict[str, float]]:
    """Each page's cells in a child forked from this process after the zygote's imports,
    so every page starts as cold as a batch kernel does."""
    import importlib
    import os

    from cdrp_lib.batch.kernels import NOT_PRELOADED, PRELOAD_MODULES

    os.environ["CDRP_BATCH_WORKER_PID"] = str(os.getpid())  # parts as the batch makes them
    try:  # the pages share one opening of the bulletin, as under the batch (issue 13)
        from cdrp_lib.pages.bulletin import CACHE_ENV
    except ImportError:  # the library before it
        CACHE_ENV = "CDRP_BULLETIN_CACHE"
    os.environ[CACHE_ENV] = str(work / "bulletin-cache")
    os.chdir(REPO)
    try:  # what the zygote does before it forks (imports, then freezing them for the GC)
        from cdrp_lib.batch.kernels import preload_modules
    except ImportError:  # the library before issue 13
        for name in PRELOAD_MODULES:
            if name not in NOT_PRELOADED:
                importlib.import_module(name)
    else:
        preload_modules()
    try:  # and what it does after its first fork (params parsed, chart templates made)
        from cdrp_lib.batch.kernels import warm_kernels
    except ImportError:  # the library before it
        pass
    else:
        warm_kernels(str(REPO))
    out: dict[str, dict[str, float]] = {}
    for theme in (*THEMES[1:], THEMES[0]):  # the batch's order: the front page last
        read, write = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover - the child
            os.close(read)
            try:
                doc = json.dumps(_page_cells(theme, store, pid, work)).encode()
                os.write(write, doc)
            finally:
                os._exit(0)
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            data = pipe.read()
        os.waitpid(child, 0)
        out[theme] = json.loads(data)
    return out


def _papermill(source: Path, executed: Path, parameters: dict[str, str]) -> None:
    """One notebook in a fresh kernel forked from this process's zygote, as the batch runs it."""
    import papermill

    from cdrp_lib.batch import execute
    from cdrp_lib.batch.kernels import forking_kernel_manager_class

    once = "request_save_on_cell_execute=False" in inspect.getsource(execute._execute_page)
    papermill.execute_notebook(
        str(source), str(executed), parameters=parameters, kernel_name="python3",
        progress_bar=False, resources={"metadata": {"path": str(REPO)}},
        shutdown_kernel="immediate", extra_arguments=list(execute.KERNEL_ARGUMENTS),
        kernel_manager_class=forking_kernel_manager_class(),
        request_save_on_cell_execute=not once)


def _reaped_cpu(pid: int) -> float:
    """CPU seconds of the reaped children of process ``pid`` (cutime + cstime, Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


REAP_SECONDS = 0.3  # time for the zygote to reap a killed kernel before its CPU is read


def worker_side(store: Path, pid: str, work: Path
                ) -> tuple[tuple[float, float, float], dict[str, tuple[float, float, float]]]:
    """Kernel start and stop (an empty notebook, 5 times: best wall, mean kernel CPU, mean
    worker CPU), and per page the CPU this worker process spends in papermill and nbclient,
    in rendering the executed notebook, and the page's kernel's CPU."""
    import os

    import nbformat

    from cdrp_lib.batch.kernels import start_zygote, stop_zygote
    from cdrp_lib.render import render_page

    os.environ["CDRP_BATCH_WORKER_PID"] = str(os.getpid())
    try:
        from cdrp_lib.pages.bulletin import CACHE_ENV
    except ImportError:  # the library before issue 13
        CACHE_ENV = "CDRP_BULLETIN_CACHE"
    os.environ[CACHE_ENV] = str(work / "worker-cache")
    empty = work / "empty.ipynb"
    nb = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]  # type: ignore[no-untyped-call]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, empty)  # type: ignore[no-untyped-call]
    zygote = start_zygote()
    if zygote is not None:
        zygote.wait_ready()
    from cdrp_lib import render

    # as each batch worker does once when it starts (executors._warm_up)
    getattr(render, "warm_up", render._exporter)()
    zygote_pid = zygote._process.pid if zygote is not None else None

    def kernels_cpu() -> float:
        time.sleep(REAP_SECONDS)
        return _reaped_cpu(zygote_pid) if zygote_pid is not None else 0.0

    try:
        starts = []
        k0, c0 = kernels_cpu(), time.process_time()
        for _ in range(5):
            t0 = time.perf_counter()
            _papermill(empty, work / "empty-out.ipynb", {})
            starts.append(time.perf_counter() - t0)
        start = (min(starts), (kernels_cpu() - k0) / 5, (time.process_time() - c0) / 5)
        pages: dict[str, tuple[float, float, float]] = {}
        out = work / "worker"
        (out / "site").mkdir(parents=True, exist_ok=True)
        for theme in (*THEMES[1:], THEMES[0]):
            params = {"partnership": pid, "month": MONTH, "store": str(store),
                      "params_dir": str(REPO / "params"), "output_dir": str(out / "site"),
                      "produced_on": PRODUCED_ON}
            executed = out / f"{theme}.ipynb"
            k0, c0 = kernels_cpu(), time.process_time()
            _papermill(REPO / "notebooks" / f"{theme}.ipynb", executed, params)
            c1 = time.process_time()
            render_page(executed, out / "site" / f"{theme}.html", title=theme)
            c2 = time.process_time()
            pages[theme] = (c1 - c0, c2 - c1, kernels_cpu() - k0)
    finally:
        stop_zygote()
    return start, pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="cdrp-profile-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        store, pid = prepare(work)
        wall, _ = batch_pages(work, store, pid)
        start, worker = worker_side(store, pid, work)
        cells = cells_in_process(store, pid, work)
        import gc

        gc.unfreeze()  # frozen by the zygote's preloading: let this process end tidily
        imports = import_seconds()
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    rows = ("kernel start+stop (CPU)", "papermill+nbclient (worker CPU)",
            "open_bulletin (assess, CPU)", "charts (CPU)", "other parts (CPU)",
            "page.write() (CPU)", "kernel, the rest (CPU)", "render nbconvert (CPU)",
            "page total")
    best_wall, start_kernel, start_worker = start
    table: dict[str, dict[str, float]] = {r: {} for r in rows}
    for theme in THEMES:
        c = cells[theme]
        parts = c.get("open_bulletin", 0.0) + c.get("charts", 0.0) + c.get("write", 0.0)
        papermill, render, kernel = worker[theme]
        table[rows[0]][theme] = start_kernel + start_worker
        table[rows[1]][theme] = max(papermill - start_worker, 0.0)
        table[rows[2]][theme] = c.get("open_bulletin", 0.0)
        table[rows[3]][theme] = c.get("charts", 0.0)
        table[rows[4]][theme] = max(c["cells"] - parts, 0.0)
        table[rows[5]][theme] = c.get("write", 0.0)
        table[rows[6]][theme] = max(kernel - start_kernel - c["cells"], 0.0)
        table[rows[7]][theme] = render
        table[rows[8]][theme] = sum(table[r][theme] for r in rows[:-1])
    short = {"acquisitive_crime": "acquis", "domestic_abuse": "dom_ab", "perception": "percep"}
    print(f"one bulletin, one worker: cdrp run --workers 1 took {wall:.2f} s wall; "
          f"the zygote's imports (once per worker, no page pays them): {imports:.2f} s; "
          f"an empty notebook's kernel start and stop: {best_wall:.2f} s wall at best; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'seconds':36}" + "".join(f"{short.get(t, t):>8}" for t in THEMES)
          + f"{'bulletin':>9}{'share':>6}")
    grand = sum(table["page total"].values())
    for row in rows:
        total = sum(table[row].values())
        print(f"{row:36}" + "".join(f"{table[row][t]:8.2f}" for t in THEMES)
              + f"{total:9.2f}{total / grand:6.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
