"""The landing folder of a files dataset: which files are there, which are ready, and what each one is.

**Listing.** A dataset's ``path`` is a file or a glob; the folder it starts at (the longest leading
part without glob characters) is the *landing folder*. :func:`list_files` walks it itself rather
than through :func:`glob.glob`, which follows every symbolic link: a link is not followed unless
the dataset allows it (``follow_symlinks``), and never to a target outside the landing folder. A
folder reached twice (a link loop under ``**``, two links to one folder) is walked once, and a
file reached by two names (a link, a hard link) is listed once, under its resolved path. Every
link left alone is reported, never skipped silently. As with glob, ``*`` and ``**`` do not match
names that start with a dot.

**Settling.** A file being written in place must not be read half-written: :func:`waiting` says
why a file is not ready yet, when its size or mtime changed less than ``settle_seconds`` ago, or,
with a done-marker convention, while ``<file><marker>`` does not exist. A file that changes while
it is read is left for the next run (:func:`same_state`).

**Identity.** A file is known by its resolved path and its content hash (:func:`mark`), so a
second name or a copy of a file already taken is not taken again.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import os
import re
import stat
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from integrity.connectors.readers import is_glob
from integrity.errors import DataError

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Found:
    """A file in the landing folder."""

    path: Path
    """Resolved: the file's identity."""
    named: Path
    """The name it was found under (a link's own name), for messages and its done marker."""
    st: os.stat_result


@dataclass
class Listing:
    """The files :func:`list_files` found, and what it left alone (as notes for the batch)."""

    folder: Path
    files: list[Found] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)

    def note(self, kind: str, path: Path, detail: str) -> None:
        self.notes.append({"kind": kind, "path": shown(path), "detail": detail})


def shown(path: Path | str) -> str:
    """A path fit for a terminal and a log: control characters spelled as escapes."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(path))


def landing_folder(path: str) -> tuple[Path, list[str], bool]:
    """The folder a path or glob starts at, the pattern's parts below it, and whether the path
    names one file (no glob). Glob characters escaped as ``glob.escape`` does (``[[]``, ``[*]``,
    ``[?]``: a project root anchored in front of a relative glob) are literal."""
    given = Path(path)
    if not is_glob(path) or given.exists():
        return given.parent, [given.name], True
    parts = given.parts
    literal = [_literal(part) for part in parts]
    cut = next((i for i, part in enumerate(literal) if part is None), len(parts))
    folder = Path(*[p for p in literal[:cut] if p is not None]) if cut else Path(".")
    if cut == len(parts):  # escaped characters only: one file after all
        return folder.parent, [folder.name], True
    return folder, list(parts[cut:]), False


def _literal(part: str) -> str | None:
    """A path component with ``glob.escape``'s escapes undone, or None when it is a pattern."""
    if is_glob(_ESCAPED.sub("", part)):
        return None
    return _ESCAPED.sub(lambda m: m.group(1), part)


_ESCAPED = re.compile(r"\[([*?[])\]")


def list_files(path: str, *, follow_symlinks: bool = False, done_marker: str | None = None) -> Listing:
    """The files ``path`` names in its landing folder (see the module docstring).

    Raises:
        DataError: the landing folder does not exist, or nothing at all matches.
    """
    folder, pattern, literal = landing_folder(path)
    listing = Listing(folder)
    if not folder.is_dir():
        raise DataError(f"{shown(folder)}: the landing folder of {shown(path)} does not exist or is "
                        f"not a folder (working directory {shown(Path.cwd())}). Check the path.")
    walk = _Walk(listing, folder.resolve(), follow_symlinks, done_marker, literal)
    walk.folder(folder, pattern)
    listing.notes = list({(n["kind"], n["path"]): n for n in listing.notes}.values())
    if not listing.files and not listing.notes:
        if walk.literal:
            raise DataError(f"{shown(path)}: file not found (working directory {shown(Path.cwd())}). "
                            "Check the path.")
        raise DataError(f"{shown(path)}: no file matches this pattern (working directory "
                        f"{shown(Path.cwd())}). Check the pattern, or quote it so the shell does not "
                        "expand it.")
    return listing


@dataclass
class _Walk:
    listing: Listing
    root: Path
    follow: bool
    marker: str | None
    literal: bool
    dirs: set[tuple[int, int, tuple[str, ...]]] = field(default_factory=set)
    files: dict[tuple[int, int], Path] = field(default_factory=dict)

    def folder(self, folder: Path, parts: list[str], *, via_link: Path | None = None) -> None:
        """Match ``parts`` in ``folder``, once per folder and pattern (links cannot loop)."""
        try:
            st = folder.stat()
        except OSError:
            return
        key = (st.st_dev, st.st_ino, tuple(parts))
        if key in self.dirs:
            if via_link is not None:
                self.listing.note("loop", via_link, "a link to a folder already walked (a loop or "
                                  "a second name); walked once")
            return
        self.dirs.add(key)
        self._match(folder, parts)

    def _match(self, folder: Path, parts: list[str]) -> None:
        head, rest = parts[0], parts[1:]
        if head == "**":
            self._match(folder, rest or ["*"])
            for entry in self._entries(folder):
                if not entry.name.startswith("."):
                    self._visit(entry, parts, as_dir=True)
            return
        for entry in self._entries(folder):
            if self._matches(entry.name, head):
                self._visit(entry, rest, as_dir=bool(rest))

    def _matches(self, name: str, pattern: str) -> bool:
        if self.literal:
            return name == pattern
        if self.marker and name.endswith(self.marker):
            return False  # a done marker is not data
        if name.startswith(".") and not pattern.startswith("."):
            return False
        return fnmatch.fnmatchcase(name, pattern)

    @staticmethod
    def _entries(folder: Path) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(folder) as it:
                return sorted(it, key=lambda e: e.name)
        except OSError:
            return []

    def _visit(self, entry: os.DirEntry[str], rest: list[str], *, as_dir: bool) -> None:
        path = Path(entry.path)
        try:
            link = entry.is_symlink()
            st = os.stat(path) if link else entry.stat(follow_symlinks=False)
        except OSError:
            if link:  # dangling, or a loop the kernel refused to resolve
                self.listing.note("symlink", path, "a symbolic link whose target cannot be read; "
                                  "ignored")
            return
        if stat.S_ISDIR(st.st_mode) != as_dir or not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
            return
        target = path
        if link:
            if not self.follow:
                self.listing.note("symlink", path, "a symbolic link; not followed (set "
                                  "follow_symlinks: true in the connector params to read links "
                                  "inside the landing folder)")
                return
            target = Path(os.path.realpath(path))
            if not target.is_relative_to(self.root):
                self.listing.note("outside", path, f"links to {shown(target)}, outside the landing "
                                  f"folder {shown(self.root)}; never followed")
                return
        if as_dir:
            self.folder(target, rest, via_link=path if link else None)
            return
        key = (st.st_dev, st.st_ino)
        first = self.files.get(key)
        if first is not None:
            self.listing.note("same_file", path, f"the same file as {shown(first)} (a link or hard "
                              "link); read once")
            return
        self.files[key] = path
        self.listing.files.append(Found(target.resolve(), path, st))


def waiting(found: Found, *, settle_seconds: float, done_marker: str | None,
            now_ns: int | None = None) -> str | None:
    """Why ``found`` is not ready to be read yet, or None when it is settled."""
    if done_marker:
        marker = found.named.with_name(found.named.name + done_marker)
        return None if marker.exists() else f"waiting for its done marker {shown(marker.name)}"
    now = time.time_ns() if now_ns is None else now_ns
    age = (now - found.st.st_mtime_ns) / 1e9
    if age < settle_seconds:
        return (f"changed {max(age, 0):.1f} s ago; taken once unchanged for {settle_seconds:g} s "
                "(settle_seconds)")
    return None


def same_state(found: Found) -> bool:
    """Whether the file still has the size and mtime it was listed with (checked after reading)."""
    try:
        now = os.stat(found.path)
    except OSError:
        return False
    return (now.st_size, now.st_mtime_ns, now.st_ino) == (found.st.st_size, found.st.st_mtime_ns,
                                                          found.st.st_ino)


def mark(found: Found, known: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Size, mtime, inode and content hash of a file; the hash is reused from ``known`` (the
    file's earlier mark) when size, mtime and inode are unchanged."""
    st = found.st
    current = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino}
    if known is not None and all(known.get(k) == v for k, v in current.items()) and known.get("sha256"):
        return {**current, "sha256": known["sha256"]}
    return {**current, "sha256": content_hash(found.path)}


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with contextlib.suppress(FileNotFoundError), path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()[:32]
