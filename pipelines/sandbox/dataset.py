"""The account data that the sandbox serves, read from a directory in the sample's layout.

Layout: `picqer/purchaseorders.json`, `picqer/suppliers.json`, `picqer/fulfilment_customers.json` (bare JSON
arrays, each row as Picqer's API returns it) and `optiply/suppliers.json` (`{"data": [...]}` as Optiply's list
endpoint returns it).
"""

from __future__ import annotations

import json
import pickle
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SAMPLE_DIR = Path(__file__).resolve().parent / "sample"
"""The sample account shipped with the package: one Picqer Fulfilment account and its Optiply account."""

JsonObject = dict[str, Any]


class DatasetError(ValueError):
    """A dataset file is missing or does not have the expected shape."""


@dataclass
class SandboxDataset:
    """The rows of one sandbox account, as read from disk."""

    purchase_orders: list[JsonObject]
    suppliers: list[JsonObject]
    fulfilment_customers: list[JsonObject]
    optiply_suppliers: list[JsonObject]


DATASET_FILES = (
    Path("picqer") / "purchaseorders.json",
    Path("picqer") / "suppliers.json",
    Path("picqer") / "fulfilment_customers.json",
    Path("optiply") / "suppliers.json",
)

# Parsed datasets, pickled, keyed by directory and file versions. Every Sandbox needs rows of its own that it
# may change, and unpickling is about three times faster than parsing the sample's 2 MB of JSON again, which
# matters for test suites that start a sandbox per test.
_parsed_cache: dict[tuple[Path, tuple[tuple[int, int], ...]], bytes] = {}
_parsed_cache_lock = threading.Lock()


def load_dataset(data_dir: Path | str) -> SandboxDataset:
    """Read the four dataset files under `data_dir` into new objects; raise DatasetError naming an unusable file."""
    root = Path(data_dir).resolve()
    try:
        versions = tuple((stat.st_mtime_ns, stat.st_size) for stat in ((root / name).stat() for name in DATASET_FILES))
    except FileNotFoundError:
        versions = None
    if versions is not None:
        with _parsed_cache_lock:
            cached = _parsed_cache.get((root, versions))
        if cached is not None:
            dataset: SandboxDataset = pickle.loads(cached)
            return dataset
    dataset = _parse_dataset(root)
    if versions is not None:
        with _parsed_cache_lock:
            _parsed_cache[(root, versions)] = pickle.dumps(dataset)
    return dataset


def _parse_dataset(root: Path) -> SandboxDataset:
    optiply_document = _read_json(root / "optiply" / "suppliers.json")
    if not isinstance(optiply_document, dict) or not isinstance(optiply_document.get("data"), list):
        raise DatasetError(f"{root / 'optiply' / 'suppliers.json'} must be an object with a 'data' array.")
    return SandboxDataset(
        purchase_orders=_read_rows(root / "picqer" / "purchaseorders.json", "idpurchaseorder"),
        suppliers=_read_rows(root / "picqer" / "suppliers.json", "idsupplier"),
        fulfilment_customers=_read_rows(root / "picqer" / "fulfilment_customers.json", "idfulfilment_customer"),
        optiply_suppliers=list(optiply_document["data"]),
    )


def _read_rows(path: Path, key: str) -> list[JsonObject]:
    rows = _read_json(path)
    if not isinstance(rows, list) or not all(isinstance(row, dict) and key in row for row in rows):
        raise DatasetError(f"{path} must be a JSON array of objects that each have {key!r}.")
    return rows


def _read_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError as error:
        raise DatasetError(f"Dataset file not found: {path}") from error
    except json.JSONDecodeError as error:
        raise DatasetError(f"Dataset file {path} is not valid JSON: {error}") from error
