"""Durable, atomic file writes: what lets a consumer never see half a batch.

The recipe is the classic one: write to a staging path on the same filesystem, flush and fsync the
file, ``os.replace`` it into place (atomic on POSIX: readers see the old name or the whole new
file), then fsync the directory so the rename itself survives a power cut. Folders created on the
way are fsynced into their parents for the same reason.

Modes are always explicit (``chmod`` after creation), never the umask's: under ``umask 000`` a
folder made with the default mode is world-writable, and anyone could plant or swap files in it.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

#: Names that become file or folder names (dataset, batch id, entry id): no separators, no '..',
#: no glob characters, not hidden. Ids come from data we do not control, so they are checked.
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.=-]{0,199}")


def safe_name(value: str, what: str) -> str:
    """``value`` when it can be used as one path component, else a ValueError naming it."""
    if not _SAFE_NAME.fullmatch(value) or ".." in value:
        raise ValueError(f"{what} {value!r} cannot name a file: use letters, digits, '_', '-', '.' "
                         "and '=' only (no path separators, no '..', not starting with '.')")
    return value


def fsync_dir(path: Path) -> None:
    """Make the entries of ``path`` (new files, renames) durable."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dirs(path: Path, mode: int | None = None) -> None:
    """Create ``path`` and its missing parents durably; ``mode`` (if given) is set on the ones created.

    The mode is applied with chmod after creation, because ``mkdir``'s mode is filtered by umask.
    """
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        try:
            if mode is None:
                folder.mkdir()
            else:
                folder.mkdir(mode=mode)
        except FileExistsError:  # a concurrent writer made it: fine
            continue
        if mode is not None:
            # Keep a setgid parent's bit: it is how a team shares a folder with readers' group.
            os.chmod(folder, mode | (os.stat(folder.parent).st_mode & stat.S_ISGID))
        fsync_dir(folder.parent)


def owned_private(path: Path) -> bool:
    """Whether ``path`` is a regular file (not a link) of ours that nobody else can write.

    Files whose presence decides that work is skipped (a sink's ``.published`` markers) are
    trusted only then: anyone else could have planted or rewritten them.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    return (stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid()
            and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def remove_durably(path: Path) -> bool:
    """Unlink ``path`` (if there) and make the removal durable; whether it was there."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    fsync_dir(path.parent)
    return True


def write_file(path: Path, write: Callable[[BinaryIO], None], mode: int = 0o644) -> None:
    """Create ``path`` (replacing a stale one), let ``write`` fill it, then flush and fsync it."""
    if path.exists():
        path.unlink()  # a leftover from a crashed run: its content is unknown
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    os.fchmod(fd, mode)  # open's mode is filtered by umask; the file's mode must be exactly this
    with os.fdopen(fd, "wb") as handle:
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())


def replace_durably(staged: Path, final: Path) -> None:
    """Atomically move a staged file into place and make the rename durable."""
    os.replace(staged, final)
    fsync_dir(final.parent)
    if staged.parent != final.parent:
        fsync_dir(staged.parent)


def write_atomic(final: Path, staged: Path, write: Callable[[BinaryIO], None],
                 mode: int = 0o644, *, dir_mode: int = 0o755, staging_mode: int = 0o700) -> None:
    """Write ``final`` (via ``staged``, on the same filesystem) so readers see nothing or all of it.

    Folders created on the way get ``dir_mode`` (``staging_mode`` for the staging folder)."""
    make_dirs(staged.parent, staging_mode)
    write_file(staged, write, mode)
    make_dirs(final.parent, dir_mode)
    replace_durably(staged, final)
