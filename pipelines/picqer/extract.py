"""The extract step for Picqer: probe the key, guard against a silent key change, run the dlt pipeline."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from pipelines.config import ConfigurationError, PicqerConfiguration
from pipelines.picqer import CURSOR_STATE_KEY, FirstPage, picqer_source, purchase_order_params
from pipelines.picqer.client import PicqerClient, PicqerError, Row
from pipelines.picqer.key_kind import (
    KeyKind,
    KeyKindChangedError,
    PreviousProbe,
    check_key_kind_change,
    previous_probe,
    probe_key_kind,
    record_refused_change,
)
from pipelines.picqer.settings import FULFILMENT_CUSTOMERS_PATH, PURCHASE_ORDERS_PATH
from pipelines.warehouse import make_pipeline

logger = logging.getLogger(__name__)

PIPELINE_NAME = "picqer"
DATASET_NAME = "picqer_raw"


@dataclass
class PicqerExtractResult:
    key_kind: KeyKind
    key_kind_changed: bool
    incremental: bool
    """Whether purchase orders were read from a saved cursor rather than in full."""
    request_count: int
    row_counts: dict[str, int] = field(default_factory=dict)
    """Rows loaded per table in this run."""


def extract_picqer(
    warehouse: Path, config: PicqerConfiguration, accept_key_change: bool = False
) -> PicqerExtractResult:
    client = PicqerClient(
        config.api_root(), config.api_key, _require_user_agent(config), max_concurrency=config.max_concurrent_requests
    )
    pipeline = make_pipeline(PIPELINE_NAME, DATASET_NAME, warehouse)
    if warehouse.exists():
        # The working folder may be gone (a new machine, a cleaned disk); the warehouse keeps the state too.
        pipeline.sync_destination()
    last_updated = _saved_cursor(pipeline.state)

    probe = probe_key_kind(client)
    first_order_page: Optional[FirstPage] = None
    if probe.kind == KeyKind.SCOPED:
        # A revoked key is refused on /suppliers too. Reading the first order page now distinguishes it from a
        # scoped key before anything else happens. The page is the extract's own first page, not an extra read.
        params = {**purchase_order_params(last_updated), "offset": 0}
        first_order_page = FirstPage(last_updated, client.get_rows(PURCHASE_ORDERS_PATH, params))
    previous = previous_probe(warehouse)
    # The client is checked before the key kind, so a run that could not go ahead anyway is never reported as an
    # accepted (or refused) change of key kind.
    customer_id = config.fulfilment_customer_id
    if probe.kind == KeyKind.SCOPED and first_order_page is not None:
        customer_id = _scoped_key_customer(client, config.fulfilment_customer_id, first_order_page.rows, previous)
    _check_same_client(previous, probe.kind, customer_id)
    customers: Optional[list[Row]] = None
    if probe.kind == KeyKind.ADMIN:
        customers = [row for page in client.iter_pages(FULFILMENT_CUSTOMERS_PATH) for row in page]
        _check_fulfilment_customer(config.fulfilment_customer_id, customers)

    try:
        changed = check_key_kind_change(previous.kind if previous else None, probe.kind, accept_key_change)
    except KeyKindChangedError:
        if previous is not None:
            record_refused_change(warehouse, previous, probe.kind, config.fulfilment_customer_id, client.host)
        raise

    logger.info(
        "Extracting Picqer from %s (%s key) into %s (%s)",
        client.host, probe.kind.value, warehouse, "incremental" if last_updated else "full read",
    )
    source = picqer_source(
        client,
        probe,
        fulfilment_customer_id=customer_id,
        fulfilment_customers=customers,
        first_order_page=first_order_page,
        key_change_accepted=changed,
    )
    pipeline.run(source)
    row_counts = dict(pipeline.last_trace.last_normalize_info.row_counts)
    logger.info("Picqer extract finished: %d requests, rows %s", client.request_count, row_counts)
    return PicqerExtractResult(probe.kind, changed, bool(last_updated), client.request_count, row_counts)


def _saved_cursor(state: dict) -> Optional[str]:
    resources = state.get("sources", {}).get("picqer", {}).get("resources", {})
    return resources.get("purchase_orders", {}).get(CURSOR_STATE_KEY)


def _require_user_agent(config: PicqerConfiguration) -> str:
    if not config.user_agent or not config.user_agent.strip():
        raise ConfigurationError(
            "Picqer requires a User-Agent naming your application and a contact: set sources.picqer.user_agent "
            "(environment variable SOURCES__PICQER__USER_AGENT)."
        )
    return config.user_agent


def _scoped_key_customer(
    client: PicqerClient, configured: Optional[int], first_page: list[Row], previous: Optional[PreviousProbe]
) -> Optional[int]:
    """Return the fulfilment client a scoped key belongs to, for the record every run keeps.

    Picqer does not say which client a scoped key belongs to, but every order it returns carries it. The client
    must be recorded, because after a switch from an admin key the warehouse also contains other clients' orders,
    and only this client's may count. With no order on this page (an incremental run without changes), the client of the
    previous scoped run carries over.
    """
    seen = {order.get("idfulfilment_customer") for order in first_page} - {None}
    if len(seen) > 1:
        raise PicqerError(
            f"The scoped Picqer key returned purchase orders of several fulfilment clients {sorted(seen)}; "
            "a scoped key reads one client only. Check sources.picqer.api_key."
        )
    if seen:
        (inferred,) = seen
        if configured is not None and configured != inferred:
            raise ConfigurationError(
                f"sources.picqer.fulfilment_customer_id is {configured}, but the scoped API key belongs to "
                f"fulfilment client {inferred}. Use a key of client {configured}, or set the client to {inferred} "
                f"(or remove it) for a warehouse of client {inferred}."
            )
        return int(inferred)
    if configured is not None:
        return configured
    if previous is not None and previous.kind == KeyKind.SCOPED:
        return previous.fulfilment_customer_id
    unfiltered = client.get_rows(PURCHASE_ORDERS_PATH, {"offset": 0})
    if unfiltered:
        return _scoped_key_customer(client, configured, unfiltered, previous)
    return None


def _check_same_client(previous: Optional[PreviousProbe], kind: KeyKind, customer_id: Optional[int]) -> None:
    """Stop a run for another fulfilment client (or for all of them) on a warehouse that contains one client's data.

    The purchase-order cursor is shared by all clients, so such a run would load only the other clients' latest
    orders, not their history, and mix them into this client's suppliers.
    """
    if previous is None or previous.fulfilment_customer_id is None or customer_id == previous.fulfilment_customer_id:
        return
    if kind == KeyKind.SCOPED and customer_id is None:
        # A scoped key whose client has no orders at all: there is nothing to mix in, and no client to compare.
        return
    expected = previous.fulfilment_customer_id
    if kind == KeyKind.SCOPED:
        raise ConfigurationError(
            f"This warehouse contains the purchase orders of fulfilment client {expected}, but the scoped API key "
            f"belongs to client {customer_id}. Use a key of client {expected} in sources.picqer.api_key, or load "
            f"client {customer_id} into a new warehouse."
        )
    configured = "not set" if customer_id is None else str(customer_id)
    raise ConfigurationError(
        f"This warehouse contains the purchase orders of fulfilment client {expected}, but "
        f"sources.picqer.fulfilment_customer_id is {configured}. Set it to {expected}, or load another client "
        "into a new warehouse."
    )


def _check_fulfilment_customer(customer_id: Optional[int], customers: list[Row]) -> None:
    if customer_id is None:
        return
    known = sorted(int(customer["idfulfilment_customer"]) for customer in customers)
    if customer_id not in known:
        raise ConfigurationError(
            f"sources.picqer.fulfilment_customer_id is {customer_id}, but this Picqer account has no such "
            f"fulfilment client (it has {known}). Set it to one of those, or remove it to read every client."
        )
