"""Where relative parameters point: the project folder, from JupyterLab and the batch alike.

JupyterLab runs a notebook in ``notebooks/`` while the batch runs it in the
project folder; relative parameters (``store="outputs/store.duckdb"``) must mean
the same files in both.
"""

from __future__ import annotations

from pathlib import Path

# Files whose presence marks the project folder that relative parameters refer to.
PROJECT_MARKERS = ("pyproject.toml", "notebooks", "params")


def project_root(start: Path | None = None) -> Path:
    """The project folder: the nearest folder at or above ``start`` (default: the working
    folder) holding pyproject.toml, notebooks/ and params/; else the working folder."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if all((folder / marker).exists() for marker in PROJECT_MARKERS):
            return folder
    return here


def resolve_path(path: Path | str, root: Path | None = None) -> Path:
    """``path`` itself when absolute, else ``path`` inside the project folder."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (root or project_root()) / p
