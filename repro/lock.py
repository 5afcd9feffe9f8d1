"""One writer per output directory: an exclusive `fcntl.flock` on `<dir>/.lock`, held for a whole command.

The kernel drops the lock when its holder exits, however it exits (kill -9 included), so a stale lock file never
blocks a rerun; the file only carries the holder's PID for the message a second writer gets.
"""

import contextlib
import errno
import fcntl
import os
from pathlib import Path

from repro.errors import ReproError

LOCK_NAME = ".lock"


class LockedError(ReproError):
    """Another process writes the directory."""


def holder(directory: str | Path, name: str = LOCK_NAME) -> int | None:
    """The PID of the process that holds `directory`'s lock, or None when nobody holds it."""
    path = Path(directory) / name
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as e:
        if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
            raise
        return _pid(fd)
    finally:
        os.close(fd)
    return None


@contextlib.contextmanager
def exclusive(directory: str | Path, what: str = "writes it", name: str = LOCK_NAME):
    """Holds `directory`'s lock (creating the directory) or raises LockedError naming it and the holder's PID.
    `name` gives one file of a shared directory its own lock (an evaluation table beside other seeds' tables)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / name, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            pid = _pid(fd)
            target = directory if name == LOCK_NAME else directory / name.removeprefix(".").removesuffix(".lock")
            raise LockedError(f"{target}: another process (PID {pid or '?'}) {what}; wait for it to finish or "
                              f"use another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _pid(fd: int) -> int | None:
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return int(text) if text.isdigit() else None
