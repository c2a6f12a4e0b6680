"""The job's steps, in the order `run` takes them: extract, transform, export.

Each step opens the warehouse only while it works, because DuckDB lets one process at a time write to the file.
"""

from __future__ import annotations

import logging

from pipelines.config import (
    OptiplyConfiguration,
    PicqerConfiguration,
    resolve_optiply_configuration,
    resolve_picqer_configuration,
    warehouse_path,
)
from pipelines.optiply.exporter import export_suppliers, format_plan
from pipelines.optiply.source import load_optiply_suppliers
from pipelines.picqer.extract import extract_picqer
from pipelines.summary import RunSummary
from pipelines.transform import run_dbt_build

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_EXPORT_INCOMPLETE = 4


class JobError(RuntimeError):
    """A step failed in a way the log message explains."""


def run(accept_key_change: bool = False, dry_run: bool = False) -> int:
    summary = RunSummary(warehouse_path(), dry_run=dry_run)
    # Both APIs' settings are checked before the first request, so a missing Optiply secret is reported at once
    # instead of after a long Picqer extract.
    picqer_config = resolve_picqer_configuration()
    optiply_config = resolve_optiply_configuration()
    _extract_into(summary, accept_key_change, picqer_config, optiply_config)
    run_dbt_build(summary.warehouse)
    summary.read_marts()
    status = _export_into(summary, dry_run, optiply_config)
    print(summary.render(), flush=True)
    return status


def extract(accept_key_change: bool = False) -> int:
    summary = RunSummary(warehouse_path())
    picqer_config = resolve_picqer_configuration()
    optiply_config = resolve_optiply_configuration()
    _extract_into(summary, accept_key_change, picqer_config, optiply_config)
    print(summary.render(), flush=True)
    return EXIT_OK


def transform() -> int:
    warehouse = warehouse_path()
    run_dbt_build(warehouse)
    summary = RunSummary(warehouse)
    summary.read_marts()
    print(summary.render(), flush=True)
    return EXIT_OK


def export(dry_run: bool = False) -> int:
    summary = RunSummary(warehouse_path(), dry_run=dry_run)
    status = _export_into(summary, dry_run, resolve_optiply_configuration())
    print(summary.render(), flush=True)
    return status


def _extract_into(
    summary: RunSummary,
    accept_key_change: bool,
    picqer_config: PicqerConfiguration,
    optiply_config: OptiplyConfiguration,
) -> None:
    logger.info("Step 1 of 3: extract Picqer into %s", summary.warehouse)
    result = extract_picqer(summary.warehouse, picqer_config, accept_key_change)
    summary.key_kind = result.key_kind.value
    summary.key_kind_changed = result.key_kind_changed
    summary.incremental = result.incremental
    summary.picqer_requests = result.request_count
    summary.orders_loaded = result.row_counts.get("purchase_orders", 0)
    summary.lines_loaded = result.row_counts.get("purchase_orders__products", 0)
    # Optiply's suppliers are read before the export is planned, so the plan adopts what already exists there.
    logger.info("Reading the Optiply account's suppliers")
    load_optiply_suppliers(summary.warehouse, optiply_config)


def _export_into(summary: RunSummary, dry_run: bool, optiply_config: OptiplyConfiguration) -> int:
    logger.info("Step 3 of 3: export suppliers to Optiply%s", " (dry run)" if dry_run else "")
    result = export_suppliers(summary.warehouse, optiply_config, dry_run=dry_run)
    if dry_run:
        print(format_plan(result), flush=True)
    summary.export_counts = {
        "created": result.created,
        "adopted": result.adopted,
        "updated": result.updated,
        "ignored": result.ignored,
        "unchanged": result.unchanged,
        "failed": result.failed,
    }
    if result.failed:
        logger.error("%d suppliers could not be exported; the next run tries them again", result.failed)
        return EXIT_EXPORT_INCOMPLETE
    return EXIT_OK
