"""Persistence of the fake Optiply's suppliers in a JSON file, so that state survives a restart."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from pipelines.sandbox.dataset import DatasetError, JsonObject


def load_state(path: Path) -> list[JsonObject] | None:
    """Return the suppliers stored in `path` (`{"data": [...]}`), or None when the file does not exist."""
    try:
        with path.open(encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        return None
    except json.JSONDecodeError as error:
        raise DatasetError(f"Optiply state file {path} is not valid JSON: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        raise DatasetError(f"Optiply state file {path} must be an object with a 'data' array.")
    return list(document["data"])


def save_state(path: Path, suppliers: list[JsonObject]) -> None:
    """Write `suppliers` to `path` atomically: a temporary file in the same directory, then a rename over it.

    A concurrent reader, or a restart after a crash, finds either the old file or the new one, never half of one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump({"data": suppliers}, handle, indent=1, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary_name, path)
    except BaseException:
        Path(temporary_name).unlink(missing_ok=True)
        raise
