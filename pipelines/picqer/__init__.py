"""dlt source for Picqer: purchase orders with their lines, suppliers, fulfilment clients and the key probe."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator, Optional

import dlt
from dlt.sources import DltResource

from pipelines.picqer.client import PicqerClient, Row
from pipelines.picqer.key_kind import KeyKind, KeyProbe
from pipelines.picqer.records import (
    FULFILMENT_CUSTOMER_COLUMNS,
    KEY_PROBE_COLUMNS,
    PURCHASE_ORDER_COLUMNS,
    PURCHASE_ORDER_LINE_COLUMNS,
    SUPPLIER_COLUMNS,
    parse_timestamp,
    reshape_fulfilment_customer,
    reshape_purchase_order,
    reshape_supplier,
)
from pipelines.picqer.settings import PURCHASE_ORDERS_PATH, SUPPLIERS_PATH, TIMESTAMP_FORMAT, UPDATED_LOOKBACK

CURSOR_STATE_KEY = "last_updated"


@dataclass(frozen=True)
class FirstPage:
    """The first purchase-order page, read before the run from the saved cursor `cursor`."""

    cursor: Optional[str]
    rows: list[Row]


@dlt.source(name="picqer")
def picqer_source(
    client: PicqerClient,
    probe: KeyProbe,
    fulfilment_customer_id: Optional[int] = None,
    fulfilment_customers: Optional[list[Row]] = None,
    first_order_page: Optional[FirstPage] = None,
    key_change_accepted: bool = False,
) -> list[DltResource]:
    """Return the Picqer resources for one run, shaped by what the probed key can read.

    With a scoped key the suppliers table is only created (empty) if missing: it keeps the last-known supplier
    objects of earlier admin runs instead of being replaced by nothing.
    """
    resources = [
        purchase_orders(client, first_order_page),
        key_probes(probe, client.host, fulfilment_customer_id, key_change_accepted),
    ]
    if probe.kind == KeyKind.ADMIN:
        resources.append(suppliers(client, probe.first_supplier_page))
        resources.append(fulfilment_customers_resource(fulfilment_customers or []))
    else:
        kept = suppliers(client, None, read=False)
        kept.apply_hints(write_disposition="append")
        resources.append(kept)
    return resources


@dlt.resource(
    name="purchase_orders",
    primary_key="idpurchaseorder",
    write_disposition="merge",
    columns=PURCHASE_ORDER_COLUMNS,
    nested_hints={"products": {"columns": PURCHASE_ORDER_LINE_COLUMNS}},
    # JSON lines instead of dlt's default INSERT statements for DuckDB: DuckDB reads them as files, so the load
    # step's peak memory stays flat instead of growing with the account (measured by `make bench`).
    file_format="jsonl",
)
def purchase_orders(client: PicqerClient, first_page: Optional[FirstPage] = None) -> Iterator[list[Row]]:
    """Yield purchase orders changed since the last run, re-reading UPDATED_LOOKBACK before the cursor.

    The cursor is the largest `updated` string Picqer returned, kept as Picqer wrote it so that it round-trips in
    the API's own time zone. It is never compared with this machine's clock. It is saved only when the whole
    list was read, so a killed run starts again from the previous cursor and the merge removes the overlap.
    """
    state = dlt.current.resource_state()
    last_updated: Optional[str] = state.get(CURSOR_STATE_KEY)
    newest = last_updated
    # A first page read before the run is reused only when it was read from this very cursor.
    known_first_page = first_page.rows if first_page and first_page.cursor == last_updated else None
    params = purchase_order_params(last_updated)
    for page in client.iter_pages(PURCHASE_ORDERS_PATH, params, known_first_page):
        page_updated = [order["updated"] for order in page if order.get("updated")]
        if page_updated:
            newest = max([newest, *page_updated]) if newest else max(page_updated)
        yield [reshape_purchase_order(order) for order in page]
    if newest:
        state[CURSOR_STATE_KEY] = newest


def purchase_order_params(last_updated: Optional[str]) -> dict[str, Any]:
    """Return the list filter for an incremental read; the first run sends no filter at all."""
    if not last_updated:
        return {}
    start = parse_timestamp(last_updated) - UPDATED_LOOKBACK
    return {"updated_after": start.strftime(TIMESTAMP_FORMAT)}


@dlt.resource(name="suppliers", primary_key="idsupplier", write_disposition="replace", columns=SUPPLIER_COLUMNS)
def suppliers(client: PicqerClient, first_active_page: Optional[list[Row]], read: bool = True) -> Iterator[Any]:
    """Yield every supplier object, active and inactive; Picqer lists the two in separate lists."""
    if not read:
        yield dlt.mark.materialize_table_schema()
        return
    for page in client.iter_pages(SUPPLIERS_PATH, first_page=first_active_page):
        yield [reshape_supplier(supplier) for supplier in page]
    for page in client.iter_pages(SUPPLIERS_PATH, {"inactive": "true"}):
        yield [reshape_supplier(supplier) for supplier in page]


@dlt.resource(
    name="fulfilment_customers",
    primary_key="idfulfilment_customer",
    write_disposition="replace",
    columns=FULFILMENT_CUSTOMER_COLUMNS,
)
def fulfilment_customers_resource(customers: list[Row]) -> Iterator[list[Row]]:
    yield [reshape_fulfilment_customer(customer) for customer in customers]


@dlt.resource(name="key_probes", write_disposition="append", columns=KEY_PROBE_COLUMNS)
def key_probes(
    probe: KeyProbe, picqer_host: str, fulfilment_customer_id: Optional[int], key_change_accepted: bool
) -> Iterator[Row]:
    yield {
        "probed_at": datetime.now(timezone.utc),
        "key_kind": probe.kind.value,
        "suppliers_status": probe.suppliers_status,
        "fulfilment_customer_id": fulfilment_customer_id,
        "picqer_host": picqer_host,
        "key_change_accepted": key_change_accepted,
    }
