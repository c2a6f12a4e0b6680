"""The supplier export: carries out dbt's export plan against Optiply and records every link and request."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from pipelines.config import OptiplyConfiguration
from pipelines.optiply.client import OptiplyClient
from pipelines.optiply.errors import OptiplyAuthError, OptiplyError, OptiplyRequestError, OptiplyUncertainWriteError
from pipelines.optiply.plan import PlannedExport, read_plan
from pipelines.optiply.reconcile import SupplierMatch, find_created_supplier
from pipelines.optiply.request_log import RequestRecorder
from pipelines.optiply.sync_store import SyncStore
from pipelines.warehouse import connect

logger = logging.getLogger(__name__)


@dataclass
class ExportFailure:
    supplier_key: str
    action: str
    error: str


@dataclass
class ExportResult:
    """Counts of one export run per outcome, or for a dry run the counts it would reach."""

    run_id: str
    dry_run: bool
    created: int = 0
    adopted: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    failures: list[ExportFailure] = field(default_factory=list)
    plan: list[PlannedExport] = field(default_factory=list)


def export_suppliers(
    warehouse: Path,
    config: OptiplyConfiguration,
    dry_run: bool = False,
    *,
    client: Optional[OptiplyClient] = None,
) -> ExportResult:
    """Send the plan in `analytics.optiply_supplier_export` to Optiply and return the counts.

    A supplier that fails is counted and the run continues. An OptiplyAuthError (a 401 after a fresh token, or
    a 403) stops the run and is raised, because every later request would fail the same way. The links and log
    rows written before it stay recorded. Pass `client` to choose its retry policy or timeouts.
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
        run = _ExportRun(run_id, optiply, store, config.coupling_id, ExportResult(run_id, dry_run=False, plan=plan))
        logger.info("Export run %s started: %d suppliers in the plan", run_id, len(plan))
        run.export_all(plan)
        result = run.result
        logger.info(
            "Export run %s finished: %d created, %d adopted, %d updated, %d unchanged, %d failed",
            run_id,
            result.created,
            result.adopted,
            result.updated,
            result.unchanged,
            result.failed,
        )
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
        else:
            result.unchanged += 1
    return result


def format_plan(result: ExportResult) -> str:
    """Render the plan of a result as one line per supplier, for the command line's dry run."""
    lines = [
        f"{item.export_action:<9} {item.supplier_key}  optiply_id={item.optiply_supplier_id}  "
        f"name={item.payload.get('name')!r}"
        for item in result.plan
    ]
    lines.append(
        f"{result.created} to create, {result.adopted} to adopt, {result.updated} to update, "
        f"{result.unchanged} unchanged"
    )
    return "\n".join(lines)


class _ExportRun:
    """The state of one run: the client, the store, the request recorder and the counts."""

    def __init__(
        self, run_id: str, client: OptiplyClient, store: SyncStore, coupling_id: int, result: ExportResult
    ) -> None:
        self.run_id = run_id
        self.client = client
        self.store = store
        self.coupling_id = coupling_id
        self.result = result
        self.recorder = RequestRecorder(store, run_id)
        self.pending = store.pending_creates()

    def export_all(self, plan: list[PlannedExport]) -> None:
        previous_observer = self.client.observer
        self.client.observer = self.recorder.observe
        try:
            for item in plan:
                self.export_one(item)
        finally:
            self.client.observer = previous_observer

    def export_one(self, item: PlannedExport) -> None:
        if item.export_action == "unchanged":
            self.result.unchanged += 1
            return
        self.recorder.start(item.supplier_key, item.export_action, item.optiply_supplier_id)
        error: Optional[OptiplyError] = None
        try:
            if item.export_action == "create":
                self._create(item)
            else:
                self._patch(item)
        except OptiplyAuthError as fatal:
            error = fatal
            logger.error("Export run %s stopped at supplier %s: %s", self.run_id, item.supplier_key, fatal)
            raise
        except OptiplyError as failure:
            error = failure
            self.result.failed += 1
            self.result.failures.append(ExportFailure(item.supplier_key, item.export_action, str(failure)))
            logger.error("Supplier %s was not exported (%s): %s", item.supplier_key, item.export_action, failure)
        finally:
            self.recorder.flush(str(error) if error else None)

    def _patch(self, item: PlannedExport) -> None:
        assert item.optiply_supplier_id is not None  # read_plan rejects adopt and update rows without an id
        self.client.update_supplier(item.optiply_supplier_id, item.payload)
        if item.export_action == "adopt":
            self.store.upsert_link(
                item.supplier_key, item.optiply_supplier_id, item.remote_id, item.payload_hash, item.adoption_origin
            )
            self.result.adopted += 1
        else:
            # An update keeps the origin and linked_at of its link.
            # NOTE: dbt plans an update only for a linked supplier. Should the link be gone, it is recorded anew
            # as adopted by remote id, because that is the closest origin for a supplier Optiply already has.
            origin = None if self.store.link_origin(item.supplier_key) else "adopted_by_remote_id"
            self.store.upsert_link(
                item.supplier_key, item.optiply_supplier_id, item.remote_id, item.payload_hash, origin
            )
            self.result.updated += 1

    def _create(self, item: PlannedExport) -> None:
        name = str(item.payload["name"])
        pending = self.pending.get(item.supplier_key)
        if pending is not None:
            logger.info(
                "Supplier %s has a POST from run %s without a recorded reply; looking it up in Optiply",
                item.supplier_key,
                pending.run_id,
            )
            match = self._find_created(item, name, "reconcile")
            if match is not None:
                # The hash of the earlier POST is recorded, so dbt plans an update if the payload changed since.
                self._link_created(item, match, pending.payload_hash)
                return

        self.store.record_pending_create(item.supplier_key, item.remote_id, name, item.payload_hash, self.run_id)
        try:
            created = self.client.create_supplier(item.payload)
        except OptiplyUncertainWriteError:
            match = self._find_created(item, name, "reconcile")
            if match is None:
                logger.warning(
                    "Supplier %s: the POST may still reach Optiply, so it stays pending and the next run looks it "
                    "up by remote id before sending it again",
                    item.supplier_key,
                )
                raise
            self._link_created(item, match, item.payload_hash)
            return
        except OptiplyRequestError as error:
            if error.is_rejection:
                # Optiply read and rejected the POST, so no supplier can have been created.
                self.store.clear_pending_create(item.supplier_key)
            raise
        self._link_created(item, SupplierMatch(int(created["id"]), "created"), item.payload_hash)

    def _find_created(self, item: PlannedExport, name: str, action: str) -> Optional[SupplierMatch]:
        self.recorder.switch_action(action)
        suppliers = [resource for page in self.client.list_suppliers() for resource in page]
        self.recorder.switch_action(item.export_action)
        match = find_created_supplier(suppliers, self.coupling_id, item.remote_id, name)
        if match is None:
            logger.info("Supplier %s is not in Optiply yet", item.supplier_key)
        else:
            logger.info("Supplier %s is Optiply supplier %d", item.supplier_key, match.optiply_supplier_id)
        return match

    def _link_created(self, item: PlannedExport, match: SupplierMatch, payload_hash: str) -> None:
        self.store.upsert_link(
            item.supplier_key, match.optiply_supplier_id, item.remote_id, payload_hash, match.link_origin
        )
        self.store.clear_pending_create(item.supplier_key)
        self.pending.pop(item.supplier_key, None)
        self.recorder.set_supplier_id(match.optiply_supplier_id)
        if match.link_origin == "created":
            self.result.created += 1
        else:
            self.result.adopted += 1
