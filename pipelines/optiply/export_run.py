"""One export run: sends each planned supplier to Optiply, with write-ahead for POSTs and checked payloads."""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional

from pipelines.optiply.client import OptiplyClient, Resource
from pipelines.optiply.errors import (
    OptiplyAuthError,
    OptiplyError,
    OptiplyExportStoppedError,
    OptiplyRequestError,
    OptiplyUncertainWriteError,
)
from pipelines.optiply.export_result import ExportFailure, ExportResult
from pipelines.optiply.payload import is_invalid_address_message, prepare_payload
from pipelines.optiply.plan import PlannedExport
from pipelines.optiply.reconcile import SupplierMatch, find_created_supplier
from pipelines.optiply.request_log import RequestRecorder
from pipelines.optiply.sync_store import SyncStore

logger = logging.getLogger(__name__)

# Suppliers in a row that Optiply rejects with the same 4xx status before the run stops. One rejection concerns
# that supplier. The same one three times in a row points at the account, the coupling or the URL.
STOP_AFTER_REJECTIONS = 3
# Validation errors concern one supplier only, so they never stop a run. Neither does a 404 on the PATCH of a
# supplier deleted in Optiply, because the next run reads Optiply again and plans that supplier anew.
_PER_SUPPLIER_STATUSES = frozenset({400, 422})
# A 429 that outlasts the retries is a rate limit, not a rejection, so it never stops a run either.
_TRANSIENT_STATUSES = frozenset({429})


class ExportRun:
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
        settled = store.clear_settled_pending_creates()
        if settled:
            logger.info("Cleared %d pending creates whose link an earlier run had already written", settled)
        self.pending = store.pending_creates()
        self._rejection_streak: list[int] = []

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
            payload = prepare_payload(item.supplier_key, item.payload, self.result.payload_changes)
            link = self._current_link(item)
            if link is not None:
                self._send_to_linked(item, payload, *link)
            elif item.export_action == "create":
                self._create(item, payload)
            else:
                self._patch(item, payload)
            self._rejection_streak = []
        except OptiplyAuthError as fatal:
            error = fatal
            logger.error("Export run %s stopped at supplier %s: %s", self.run_id, item.supplier_key, fatal)
            raise
        except OptiplyError as failure:
            error = failure
            self.result.failed += 1
            self.result.failures.append(ExportFailure(item.supplier_key, item.export_action, str(failure)))
            logger.error("Supplier %s was not exported (%s): %s", item.supplier_key, item.export_action, failure)
            self._stop_on_repeated_rejection(item, failure)
        finally:
            self.recorder.flush(str(error) if error else None)

    def _stop_on_repeated_rejection(self, item: PlannedExport, failure: OptiplyError) -> None:
        status = failure.status_code if isinstance(failure, OptiplyRequestError) else None
        is_deleted_supplier = status == 404 and item.export_action != "create"
        never_stops = status in _PER_SUPPLIER_STATUSES or status in _TRANSIENT_STATUSES or is_deleted_supplier
        if status is None or not 400 <= status < 500 or never_stops:
            self._rejection_streak = []
            return
        self._rejection_streak.append(status)
        if len(self._rejection_streak) >= STOP_AFTER_REJECTIONS and len(set(self._rejection_streak)) == 1:
            raise OptiplyExportStoppedError(
                f"Optiply rejected {STOP_AFTER_REJECTIONS} suppliers in a row with HTTP {status}, the last being "
                f"{item.supplier_key}: {failure}. Export run {self.run_id} stopped; check optiply.api_url, "
                "account_id and coupling_id, then run again to export the remaining suppliers."
            )

    def _patch(self, item: PlannedExport, payload: dict[str, Any]) -> None:
        assert item.optiply_supplier_id is not None  # read_plan rejects adopt, update and ignore rows without an id
        supplier_id = item.optiply_supplier_id
        try:
            self._send_with_email_fallback(item, payload, lambda body: self.client.update_supplier(supplier_id, body))
        except OptiplyRequestError as error:
            if error.status_code == 404:
                # The link is kept, because the next run reads Optiply again, finds the supplier missing and plans it anew.
                raise OptiplyRequestError(
                    error.method,
                    error.path,
                    404,
                    f"Optiply supplier {supplier_id} no longer exists; the next run reads Optiply again and "
                    "adopts or creates this supplier",
                ) from error
            raise
        if item.export_action == "adopt":
            self.store.upsert_link(
                item.supplier_key,
                supplier_id,
                item.remote_id,
                item.payload_hash,
                item.adoption_origin,
                replaces_supplier_key=item.replaces_supplier_key,
            )
            if item.replaces_supplier_key:
                logger.info(
                    "Supplier %s took over Optiply supplier %s from its former key %s",
                    item.supplier_key, supplier_id, item.replaces_supplier_key,
                )
            # A POST whose reply was lost and that the plan now adopts by remote id needs no lookup any more.
            self.store.clear_pending_create(item.supplier_key)
            self.pending.pop(item.supplier_key, None)
            self.result.adopted += 1
            return
        # An update or ignore keeps the origin and linked_at of its link.
        # NOTE: dbt plans an update only for a linked supplier. Should the link be gone, it is recorded anew
        # as adopted by remote id, because that is the closest origin for a supplier Optiply already has.
        origin = None if self.store.link_origin(item.supplier_key) else "adopted_by_remote_id"
        self.store.upsert_link(item.supplier_key, supplier_id, item.remote_id, item.payload_hash, origin)
        if item.export_action == "ignore":
            logger.info(
                "Supplier %s is no longer in Picqer's data; set Optiply supplier %s to ignored",
                item.supplier_key, supplier_id,
            )
            self.result.ignored += 1
        else:
            self.result.updated += 1

    def _current_link(self, item: PlannedExport) -> Optional[tuple[int, str]]:
        """Return the link of a supplier planned to create or adopt that an export since the plan was built made.

        Such a plan row is out of date (after an interrupted export, or a second `export` without `transform`):
        POSTing again would make a duplicate, and adopting again would send the same PATCH twice.
        """
        if item.export_action not in ("create", "adopt"):
            return None
        link = self.store.link_of(item.supplier_key)
        if link is None:
            return None
        if self.store.is_link_stale(item.supplier_key):
            logger.info(
                "Supplier %s: its linked Optiply supplier %s was deleted in Optiply; planning without that link",
                item.supplier_key,
                link[0],
            )
            return None
        return link

    def _create(self, item: PlannedExport, payload: dict[str, Any]) -> None:
        name = str(payload["name"])
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

        def post(body: dict[str, Any]) -> Resource:
            # Written and committed before every POST, so a crash at any point leaves a trace for the next run.
            self.store.record_pending_create(item.supplier_key, item.remote_id, name, item.payload_hash, self.run_id)
            return self.client.create_supplier(body)

        try:
            created = self._send_with_email_fallback(item, payload, post)
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

    def _send_to_linked(self, item: PlannedExport, payload: dict[str, Any], supplier_id: int, sent_hash: str) -> None:
        logger.info(
            "Supplier %s is planned to %s but an export since the plan was built linked it to Optiply supplier "
            "%s; sending an update only if its payload changed",
            item.supplier_key,
            item.export_action,
            supplier_id,
        )
        self.recorder.set_supplier_id(supplier_id)
        if sent_hash == item.payload_hash:
            self.result.unchanged += 1
            return
        self._send_with_email_fallback(item, payload, lambda body: self.client.update_supplier(supplier_id, body))
        self.store.upsert_link(item.supplier_key, supplier_id, item.remote_id, item.payload_hash, None)
        self.result.updated += 1

    def _send_with_email_fallback(
        self, item: PlannedExport, payload: dict[str, Any], send: Callable[[dict[str, Any]], Resource]
    ) -> Resource:
        """Send `payload`; when Optiply rejects an e-mail address in it, send it once more without `emails`.

        The link then records the plan's hash, so the supplier is not sent again until Picqer's data changes.
        """
        try:
            return send(payload)
        except OptiplyRequestError as error:
            rejects_address = error.status_code == 400 and is_invalid_address_message(error.api_message)
            if not rejects_address or not payload.get("emails"):
                raise
            logger.warning(
                "Supplier %s: Optiply rejected its e-mail addresses (%s); sending it again without them",
                item.supplier_key,
                error.api_message,
            )
            self.result.payload_changes.emails_dropped_after_rejection += 1
            without_emails = {name: value for name, value in payload.items() if name != "emails"}
            return send(without_emails)

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
