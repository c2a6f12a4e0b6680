"""The supplier export: carries out dbt's export plan against Optiply and records every link and request."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Optional

from pipelines.config import OptiplyConfiguration
from pipelines.optiply.client import OptiplyClient
from pipelines.optiply.export_result import ExportFailure, ExportResult
from pipelines.optiply.export_run import ExportRun
from pipelines.optiply.payload import PayloadChanges
from pipelines.optiply.plan import PlannedExport, read_plan
from pipelines.optiply.sync_store import SyncStore
from pipelines.warehouse import connect

logger = logging.getLogger(__name__)

__all__ = ["ExportFailure", "ExportResult", "export_suppliers", "format_plan"]


def export_suppliers(
    warehouse: Path,
    config: OptiplyConfiguration,
    dry_run: bool = False,
    *,
    client: Optional[OptiplyClient] = None,
) -> ExportResult:
    """Send the plan in `analytics.optiply_supplier_export` to Optiply and return the counts.

    A supplier that fails is counted and the run continues. An OptiplyAuthError (a 401 after a fresh token, or
    a 403) stops the run and is raised, because every later request would fail the same way. So does a run of
    STOP_AFTER_REJECTIONS suppliers in a row that Optiply rejects with the same 4xx status. The links and log
    rows written before the stop stay recorded, and the next run takes up the rest. Pass `client` to choose its
    retry policy or timeouts.
    """
    run_id = uuid.uuid4().hex
    if dry_run:
        return _plan_only(warehouse, run_id)

    connection = connect(warehouse)
    owns_client = client is None
    optiply = client or OptiplyClient(config)
    try:
        store = SyncStore(connection)
        store.check_tables()
        plan = read_plan(connection)
        store.create_pending_table()
        run = ExportRun(run_id, optiply, store, config.coupling_id, ExportResult(run_id, dry_run=False, plan=plan))
        logger.info("Export run %s started: %d suppliers in the plan", run_id, len(plan))
        run.export_all(plan)
        result = run.result
        logger.info(
            "Export run %s finished: %d created, %d adopted, %d updated, %d ignored, %d unchanged, %d failed",
            run_id,
            result.created,
            result.adopted,
            result.updated,
            result.ignored,
            result.unchanged,
            result.failed,
        )
        _log_payload_changes(run_id, result.payload_changes)
        return result
    finally:
        if owns_client:
            optiply.close()
        connection.close()


def _plan_only(warehouse: Path, run_id: str) -> ExportResult:
    connection = connect(warehouse, read_only=True)
    try:
        plan = read_plan(connection)
    finally:
        connection.close()
    result = ExportResult(run_id, dry_run=True, plan=plan)
    for item in plan:
        logger.info(
            "Dry run: %s supplier %s (Optiply id %s, name %r)",
            item.export_action,
            item.supplier_key,
            item.optiply_supplier_id,
            item.payload.get("name"),
        )
        if item.export_action == "create":
            result.created += 1
        elif item.export_action == "adopt":
            result.adopted += 1
        elif item.export_action == "update":
            result.updated += 1
        elif item.export_action == "ignore":
            result.ignored += 1
        else:
            result.unchanged += 1
    return result


def _log_payload_changes(run_id: str, changes: PayloadChanges) -> None:
    logger.info(
        "Export run %s changed payloads before sending: %d names without control characters, %d names cut to 255 "
        "characters, %d invalid e-mail addresses left out, %d suppliers sent again without e-mail addresses after "
        "Optiply rejected one, %d empty user-maintained fields left out",
        run_id,
        changes.names_cleaned,
        changes.names_cut,
        changes.emails_dropped,
        changes.emails_dropped_after_rejection,
        changes.empty_user_fields_dropped,
    )


def format_plan(result: ExportResult) -> str:
    """Render the plan of a result as one line per supplier, for the command line's dry run."""
    lines = [
        f"{item.export_action:<9} {item.supplier_key}  optiply_id={item.optiply_supplier_id}  "
        f"name={item.payload.get('name')!r}"
        for item in result.plan
    ]
    lines.append(
        f"{result.created} to create, {result.adopted} to adopt, {result.updated} to update, "
        f"{result.ignored} to ignore, {result.unchanged} unchanged"
    )
    return "\n".join(lines)
