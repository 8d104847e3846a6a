"""Writing a file atomically, so that a crash never leaves half of it."""
from __future__ import annotations

from pathlib import Path


def replace_file(path: Path, data: bytes | str) -> None:
    """Write a file atomically (a crash never leaves half of it), creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    if isinstance(data, str):
        temporary.write_text(data, encoding="utf-8")
    else:
        temporary.write_bytes(data)
    temporary.replace(path)
