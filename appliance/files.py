"""Small file helpers shared across rooms."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make it readable by its owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def is_inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` lies in ``folder`` (after resolving links), e.g. a key file or
    an export that must not be written into the data directory."""
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def crash_point(name: str) -> None:
    """Fault injection for tests: when ``APPLIANCE_CRASH_AT`` names this point, the
    process dies here at once (exit 137, no clean-up), as a killed process would."""
    if os.environ.get("APPLIANCE_CRASH_AT") == name:
        os._exit(137)
