"""The `optiply` dlt source: the Optiply account's suppliers, read into `optiply_raw` before each export."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Iterator, Optional

import dlt
from dlt.common.pipeline import LoadInfo
from dlt.common.schema.typing import TTableSchemaColumns
from dlt.sources import DltResource

from pipelines.config import OptiplyConfiguration
from pipelines.optiply.client import OptiplyClient, Resource
from pipelines.warehouse import make_pipeline

logger = logging.getLogger(__name__)

# Every column is declared, so it exists with its documented type even when no supplier has a value for it.
SUPPLIER_COLUMNS: TTableSchemaColumns = {
    "id": {"data_type": "bigint", "nullable": False},
    "name": {"data_type": "text"},
    "remote_id": {"data_type": "text"},
    "remote_id_map": {"data_type": "json"},
    "emails": {"data_type": "json"},
    "ignored": {"data_type": "bool"},
    "created_from_public_api": {"data_type": "bool"},
    "delivery_time": {"data_type": "bigint"},
    "user_replenishment_period": {"data_type": "bigint"},
    "minimum_order_value": {"data_type": "text"},
    "fixed_costs": {"data_type": "text"},
    "type": {"data_type": "text"},
    "account_id": {"data_type": "bigint"},
}


@dlt.source(name="optiply")
def optiply_source(config: OptiplyConfiguration, client: Optional[OptiplyClient] = None) -> DltResource:
    """Return the source's one resource, `suppliers`; pass `client` to reuse a token or a retry policy."""
    return suppliers_resource(client or OptiplyClient(config), config.coupling_id)


def suppliers_resource(client: OptiplyClient, coupling_id: int) -> DltResource:
    @dlt.resource(name="suppliers", write_disposition="replace", primary_key="id", columns=SUPPLIER_COLUMNS)
    def suppliers() -> Iterator[list[dict[str, Any]]]:
        for page in client.list_suppliers():
            yield [supplier_row(resource, coupling_id) for resource in page]

    return suppliers


def supplier_row(resource: Resource, coupling_id: int) -> dict[str, Any]:
    """Flatten one JSON:API supplier into a row of `optiply_raw.suppliers`."""
    attributes = resource.get("attributes") or {}
    remote_id_map = attributes.get("remoteIdMap") or {}
    remote_id = remote_id_map.get(str(coupling_id)) if isinstance(remote_id_map, dict) else None
    return {
        "id": int(resource["id"]),
        "name": attributes.get("name"),
        "remote_id": None if remote_id is None else str(remote_id),
        # The json column hints keep dlt from unpacking the map into columns and the list into a child table.
        "remote_id_map": remote_id_map,
        "emails": attributes.get("emails") or [],
        "ignored": attributes.get("ignored"),
        "created_from_public_api": attributes.get("createdFromPublicApi"),
        "delivery_time": attributes.get("deliveryTime"),
        "user_replenishment_period": attributes.get("userReplenishmentPeriod"),
        "minimum_order_value": _decimal_text(attributes.get("minimumOrderValue")),
        "fixed_costs": _decimal_text(attributes.get("fixedCosts")),
        "type": attributes.get("type"),
        "account_id": attributes.get("accountId"),
    }


def _decimal_text(value: Any) -> Optional[str]:
    # Optiply returns decimals as strings; a number is kept as its text so the column type never changes.
    return None if value is None else str(value)


def load_optiply_suppliers(
    warehouse: Path, config: OptiplyConfiguration, client: Optional[OptiplyClient] = None
) -> LoadInfo:
    """Replace `optiply_raw.suppliers` in the warehouse with the account's current suppliers."""
    pipeline = make_pipeline("optiply", "optiply_raw", warehouse)
    logger.info("Loading Optiply suppliers of account %s into %s", config.account_id, warehouse)
    info = pipeline.run(optiply_source(config, client=client))
    logger.info("Loaded Optiply suppliers: %s", info.asdict().get("loads_ids"))
    return info
