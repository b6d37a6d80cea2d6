"""What the site check learnt of each file, kept by content so a publication re-reads
only what changed; and the site's file tree, walked once per check.

:func:`~cdrp_lib.site.check.check_site` splits its work in two.  What a file says
on its own (its leaks, its parse facts: links, ids, headings, scripts, structure
problems) depends only on its bytes, the checker's rules and the machine's
identity, so it is kept here keyed by the file's content hash.  What depends on
other files (does a link's target exist, does it have that id, is this the search
page) is resolved again on every check from the facts and :class:`SiteTree`, which
is cheap: no HTML is parsed for it.

The cache is a JSON file beside the site (:func:`check_cache_file`:
``<outputs>/.site.check-cache.json`` for ``outputs/site``), not inside it: the
site folder is what readers get, and a dot-name marks a working file, like the
outputs lock beside it.  It is best-effort: a missing, unreadable, corrupt or
foreign file (another checker version, another site path, user or host) is
ignored and rebuilt, and a cache that cannot be written is skipped; neither ever
changes a check's result.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CACHE_SUFFIX = ".check-cache.json"
FORMAT = 1
_HERE = Path(__file__).resolve().parent
# The modules whose code decides a file's facts: any edit to them invalidates the cache.
_RULE_SOURCES = ("check.py", "check_cache.py", "redact.py")


def check_cache_file(site_dir: Path) -> Path:
    """``.<site name>.check-cache.json`` beside the site folder (outside what is published)."""
    site = Path(site_dir).resolve()
    return site.with_name(f".{site.name}{CACHE_SUFFIX}")


def checker_digest() -> str:
    """The checker's version: a digest of its rules' source and of Python (whose HTML
    parser gathers the facts), so changing a rule or a constant invalidates every entry."""
    digest = hashlib.sha256(sys.version.encode())
    for name in _RULE_SOURCES:
        digest.update((_HERE / name).read_bytes())
    return digest.hexdigest()


def content_key(data: bytes) -> str:
    """The cache key of a file's bytes."""
    return hashlib.blake2b(data, digest_size=20).hexdigest()


@dataclass
class FactsCache:
    """Facts by content hash for one checker version and environment (``env``: the
    site's path, home folder and identities the leak rules look for).

    :meth:`get` returns a stored entry; :meth:`put` records one; :meth:`save` writes
    the entries used by this check only, so files that left the site leave the cache.
    """

    path: Path | None
    env: dict[str, Any]
    stored: dict[str, Any] = field(default_factory=dict)
    used: dict[str, Any] = field(default_factory=dict)
    changed: bool = False

    @classmethod
    def load(cls, path: Path | None, env: dict[str, Any]) -> FactsCache:
        """The cache at ``path`` if it is readable and for this checker and ``env``; else empty."""
        cache = cls(path, env)
        if path is None:
            return cache
        try:
            document = json.loads(path.read_bytes())
        except (OSError, ValueError, RecursionError):
            return cache  # missing, unreadable or corrupt: rebuilt from the site
        if (isinstance(document, dict) and document.get("format") == FORMAT
                and document.get("checker") == checker_digest()
                and document.get("env") == env and isinstance(document.get("files"), dict)):
            cache.stored = document["files"]
        return cache

    def get(self, key: str) -> Any | None:
        entry = self.stored.get(key)
        if entry is not None:
            self.used[key] = entry
        return entry

    def put(self, key: str, entry: Any) -> None:
        self.used[key] = entry
        self.changed = True

    def save(self) -> None:
        """Write the entries used by this check beside the site; silently skipped when the
        folder is read-only or full (the cache only saves time)."""
        if self.path is None or not (self.changed or len(self.used) != len(self.stored)):
            return
        document = {"format": FORMAT, "checker": checker_digest(), "env": self.env,
                    "files": self.used}
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
        try:
            tmp.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()


@dataclass
class SiteTree:
    """Every file and folder of a site, in one walk.

    ``checked`` lists the files the check reads, in its order (``os.walk`` top down,
    names sorted, working files and folders, those starting with ``.`` or ending in
    ``.tmp``, left out); ``files`` and ``folders`` hold every relative path seen in
    the folders walked, working files included, so a link resolves without touching
    the disk.  ``symlinks`` says whether any entry is a symbolic link: then link
    targets are resolved on disk as before, since a name alone no longer says where
    it leads.
    """

    checked: list[Path] = field(default_factory=list)
    files: set[str] = field(default_factory=set)
    folders: set[str] = field(default_factory=lambda: {""})
    symlinks: bool = False

    @classmethod
    def walk(cls, site: Path, working: tuple[str, ...]) -> SiteTree:
        tree = cls()
        tree._visit(site, "", working)
        return tree

    def _visit(self, folder: Path, rel: str, working: tuple[str, ...]) -> None:
        try:
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError:
            return  # as os.walk: a folder that cannot be listed is passed over
        subfolders: list[tuple[str, bool]] = []
        names: list[str] = []
        for entry in listed:
            link = entry.is_symlink()
            self.symlinks |= link
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                subfolders.append((entry.name, link))
            else:
                names.append(entry.name)
        prefix = f"{rel}/" if rel else ""
        for name in sorted(names):
            self.files.add(prefix + name)
            if not name.startswith(working) and not name.endswith(".tmp"):
                self.checked.append(folder / name)
        for name, link in sorted(subfolders):
            self.folders.add(prefix + name)
            if not name.startswith(working) and not link:  # os.walk does not follow links
                self._visit(folder / name, prefix + name, working)

    def lexical(self, page_folder: str, path: str) -> str | None:
        """The site-relative path ``path`` names from ``page_folder``, worked out from the
        names alone; ``None`` when only the disk can say (links in the site, a path that
        climbs out of it or enters a working folder, a NUL byte)."""
        if self.symlinks or "\x00" in path:
            return None
        parts: list[str] = []
        for part in [*page_folder.split("/"), *path.split("/")]:
            if part in ("", "."):
                continue
            if part == "..":
                if not parts:
                    return None
                parts.pop()
            else:
                parts.append(part)
        if any(part.startswith(".") for part in parts):
            return None
        return "/".join(parts)

