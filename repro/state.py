"""Saved torch states (checkpoints, generator snapshots, final.pt): written through memory and atomically, read
without pickle (`weights_only=True`) and checked for the keys their reader needs."""

import io
from pathlib import Path

import torch

from repro import atomic


def save(obj, path: Path) -> None:
    """torch.save through memory: a full disk is then Python's OSError naming `path`, not PyTorch's "[enforce fail
    at inline_container.cc:672]"."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    try:
        with atomic.atomic_path(path) as tmp:
            tmp.write_bytes(buffer.getbuffer())
    except OSError as e:
        e.filename = str(path)
        raise


class UnreadableState(Exception):
    """A state file that is truncated, corrupt or lacks a key; the message is the underlying error's type."""


def load(path: Path, keys: set[str]) -> dict:
    """The dict saved at `path`, which must hold `keys`; anything else raises UnreadableState."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises any of OSError, EOFError, RuntimeError, UnpicklingError
        raise UnreadableState(type(e).__name__) from None
    if not isinstance(state, dict) or not keys <= state.keys():
        raise UnreadableState("missing keys")
    return state
