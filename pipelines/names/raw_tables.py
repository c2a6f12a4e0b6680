"""Create `picqer_raw` tables shaped as docs/warehouse.md describes, for running the dbt name rules on chosen data.

The dlt pipeline writes these tables in production. Evaluation and tests write them directly, so that they can
run the production dbt models on names and supplier objects they pick, without a Picqer account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

PURCHASE_ORDERS_DDL = """
create table picqer_raw.purchase_orders (
    idpurchaseorder bigint,
    idsupplier bigint,
    idtemplate bigint,
    idwarehouse bigint,
    idfulfilment_customer bigint,
    purchaseorderid varchar,
    supplier_name varchar,
    supplier_orderid varchar,
    status varchar,
    remarks varchar,
    language varchar,
    delivery_date date,
    created_by_iduser bigint,
    comment_count bigint,
    created timestamp,
    updated timestamp
)
"""

SUPPLIERS_DDL = """
create table picqer_raw.suppliers (
    idsupplier bigint,
    name varchar,
    contactname varchar,
    address varchar,
    address2 varchar,
    zipcode varchar,
    city varchar,
    region varchar,
    country varchar,
    telephone varchar,
    emailaddress varchar,
    remarks varchar,
    language varchar,
    active boolean,
    comment_count bigint,
    -- dlt's load id (Unix seconds as text); staging reads it as the time the supplier objects were last read.
    _dlt_load_id varchar
)
"""

# Any fixed time works: the name rules only use order times for first/last use.
FIRST_ORDER_AT = datetime(2024, 1, 1, 9, 0, 0)


@dataclass(frozen=True)
class RawPurchaseOrder:
    purchase_order_id: int
    supplier_name: str | None
    picqer_supplier_id: int | None = None


@dataclass(frozen=True)
class RawSupplier:
    picqer_supplier_id: int
    name: str
    is_active: bool = True


def write_raw_tables(
    warehouse: Path, purchase_orders: list[RawPurchaseOrder], suppliers: list[RawSupplier] | None
) -> None:
    """Create picqer_raw.purchase_orders (and picqer_raw.suppliers unless `suppliers` is None) in `warehouse`.

    `suppliers=None` leaves the supplier table out, as on a warehouse that has only seen scoped API keys.
    """
    connection = duckdb.connect(str(warehouse))
    try:
        connection.execute("create schema if not exists picqer_raw")
        connection.execute(PURCHASE_ORDERS_DDL)
        connection.executemany(
            "insert into picqer_raw.purchase_orders "
            "(idpurchaseorder, idsupplier, purchaseorderid, supplier_name, status, created, updated) "
            "values (?, ?, ?, ?, 'purchased', ?, ?)",
            [
                (
                    order.purchase_order_id,
                    order.picqer_supplier_id,
                    str(order.purchase_order_id),
                    order.supplier_name,
                    FIRST_ORDER_AT + timedelta(minutes=index),
                    FIRST_ORDER_AT + timedelta(minutes=index),
                )
                for index, order in enumerate(purchase_orders)
            ],
        )
        if suppliers is not None:
            connection.execute(SUPPLIERS_DDL)
            connection.executemany(
                "insert into picqer_raw.suppliers (idsupplier, name, active) values (?, ?, ?)",
                [(supplier.picqer_supplier_id, supplier.name, supplier.is_active) for supplier in suppliers],
            )
    finally:
        connection.close()
