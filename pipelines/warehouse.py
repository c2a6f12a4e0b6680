"""The DuckDB warehouse file and the dlt pipelines that write into it."""

from __future__ import annotations

from pathlib import Path

import dlt
import duckdb
from dlt.common.pipeline import SupportsPipeline

# dbt's staging, marts and seeds live in these schemas; the exporter reads the export plan from the first.
ANALYTICS_SCHEMA = "analytics"
SYNC_SCHEMA = "optiply_sync"


def pipelines_dir(warehouse: Path) -> Path:
    """Return the dlt working folder kept beside the warehouse file.

    Each warehouse gets its own folder, so the incremental state of one customer's warehouse never leaks into
    another's, and tests that use a temporary warehouse are isolated from each other.
    """
    return warehouse.parent / f".dlt-{warehouse.stem}"


def make_pipeline(pipeline_name: str, dataset_name: str, warehouse: Path) -> SupportsPipeline:
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=dlt.destinations.duckdb(str(warehouse)),
        dataset_name=dataset_name,
        pipelines_dir=str(pipelines_dir(warehouse)),
        progress="log",
    )


def connect(warehouse: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, turning DuckDB's lock error into a message that names the step to wait for."""
    try:
        return duckdb.connect(str(warehouse), read_only=read_only)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise WarehouseBusyError(
                f"The warehouse {warehouse} is open for writing in another process (another extract, transform "
                "or export). Wait for it to finish, then run again."
            ) from error
        raise


class WarehouseBusyError(RuntimeError):
    """Another process has the DuckDB file open for writing."""
