"""The export plan that dbt builds in `analytics.optiply_supplier_export`: what to send to Optiply per supplier."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, Optional, cast

import duckdb

from pipelines.warehouse import ANALYTICS_SCHEMA

PLAN_TABLE = f"{ANALYTICS_SCHEMA}.optiply_supplier_export"

ExportAction = Literal["create", "adopt", "update", "ignore", "unchanged"]
EXPORT_ACTIONS: tuple[str, ...] = ("create", "adopt", "update", "ignore", "unchanged")
# adopted_by in the plan, with and without the prefix that link_origin carries.
ADOPTION_ORIGINS = {
    "remote_id": "adopted_by_remote_id",
    "adopted_by_remote_id": "adopted_by_remote_id",
    "name": "adopted_by_name",
    "adopted_by_name": "adopted_by_name",
    "similar_name": "adopted_by_name",
    "key_change": "relinked",
}


class PlanError(ValueError):
    """The export plan is missing or contains a row the exporter cannot act on."""


@dataclass(frozen=True)
class PlannedExport:
    """One row of the plan: a supplier and the request that brings Optiply in line with it."""

    supplier_key: str
    remote_id: Optional[str]
    export_action: ExportAction
    optiply_supplier_id: Optional[int]
    adopted_by: Optional[str]
    payload: dict[str, Any]
    payload_hash: str
    replaces_supplier_key: Optional[str] = None
    """The former key whose link this supplier takes over, after a change of Picqer key kind."""

    @property
    def adoption_origin(self) -> str:
        """Return the `link_origin` recorded for an adopt: how dbt matched the existing Optiply supplier."""
        origin = ADOPTION_ORIGINS.get(self.adopted_by or "")
        if origin is None:
            raise PlanError(
                f"Supplier {self.supplier_key!r} is planned to adopt with the unknown adopted_by {self.adopted_by!r}."
            )
        return origin


def read_plan(connection: duckdb.DuckDBPyConnection) -> list[PlannedExport]:
    """Read and check every plan row, in supplier key order so runs are repeatable."""
    try:
        rows = connection.execute(
            f"""
            select
                supplier_key, remote_id, export_action, optiply_supplier_id, adopted_by, payload, payload_hash,
                replaces_supplier_key
            from {PLAN_TABLE}
            order by supplier_key
            """
        ).fetchall()
    except duckdb.CatalogException as error:
        raise PlanError(
            f"The export plan {PLAN_TABLE} is missing from the warehouse. Run the dbt transform first."
        ) from error
    return [_planned_export(row) for row in rows]


def _planned_export(row: tuple[Any, ...]) -> PlannedExport:
    supplier_key, remote_id, action, optiply_supplier_id, adopted_by, payload_text, payload_hash, replaces = row
    if action not in EXPORT_ACTIONS:
        raise PlanError(f"Supplier {supplier_key!r} has the unknown export_action {action!r} in {PLAN_TABLE}.")
    if action in ("adopt", "update", "ignore") and optiply_supplier_id is None:
        raise PlanError(f"Supplier {supplier_key!r} is planned to {action} but has no optiply_supplier_id.")
    if action == "create" and optiply_supplier_id is not None:
        raise PlanError(f"Supplier {supplier_key!r} is planned to create but already has an optiply_supplier_id.")
    if action == "adopt" and adopted_by not in ADOPTION_ORIGINS:
        raise PlanError(f"Supplier {supplier_key!r} is planned to adopt with the unknown adopted_by {adopted_by!r}.")
    if (replaces is not None) != (adopted_by == "key_change"):
        raise PlanError(f"Supplier {supplier_key!r} must name replaces_supplier_key exactly when adopted by key_change.")
    payload = json.loads(payload_text) if isinstance(payload_text, str) else payload_text
    # A vanished supplier is only set ignored, so its name and other attributes stay as Optiply has them. Once
    # sent, the same payload comes back as `unchanged`.
    is_ignore_payload = payload == {"ignored": True}
    if action == "ignore" and not is_ignore_payload:
        raise PlanError(f"Supplier {supplier_key!r} is planned to ignore with a payload other than ignored: true.")
    if not (is_ignore_payload and action in ("ignore", "unchanged")) and (
        not isinstance(payload, dict) or not payload.get("name")
    ):
        raise PlanError(f"Supplier {supplier_key!r} has a payload without a name in {PLAN_TABLE}.")
    return PlannedExport(
        supplier_key=str(supplier_key),
        remote_id=None if remote_id is None else str(remote_id),
        export_action=cast(ExportAction, action),
        optiply_supplier_id=None if optiply_supplier_id is None else int(optiply_supplier_id),
        adopted_by=adopted_by,
        payload=payload,
        payload_hash=str(payload_hash),
        replaces_supplier_key=None if replaces is None else str(replaces),
    )
