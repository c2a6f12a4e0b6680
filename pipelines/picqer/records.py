"""Column hints and per-record reshaping for the tables loaded from Picqer.

Every column dbt reads has a hint, so it exists with its type even when a page holds only nulls, and a value of
the wrong type fails the load with the record and field named instead of creating a variant column.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Callable, Optional

from dlt.common.schema.typing import TTableSchemaColumns

from pipelines.picqer.client import Row
from pipelines.picqer.settings import TIMESTAMP_FORMAT


class RecordError(ValueError):
    """A Picqer record has a value that cannot be read as its column's type."""


def _columns(types: dict[str, str], **extra: dict[str, Any]) -> TTableSchemaColumns:
    columns: TTableSchemaColumns = {}
    for name, data_type in types.items():
        columns[name] = {"name": name, "data_type": data_type, "nullable": True}  # type: ignore[typeddict-item]
        if data_type == "timestamp":
            # Picqer's times are naive local times; a zone would suggest they were UTC.
            columns[name]["timezone"] = False
        columns[name].update(extra.get(name, {}))  # type: ignore[typeddict-item]
    return columns


PURCHASE_ORDER_COLUMNS = _columns(
    {
        "idpurchaseorder": "bigint",
        "idsupplier": "bigint",
        "idtemplate": "bigint",
        "idwarehouse": "bigint",
        "idfulfilment_customer": "bigint",
        "purchaseorderid": "text",
        "supplier_name": "text",
        "supplier_orderid": "text",
        "status": "text",
        "remarks": "text",
        "delivery_date": "date",
        "language": "text",
        "created_by_iduser": "bigint",
        "comment_count": "bigint",
        "created": "timestamp",
        "updated": "timestamp",
    },
    idpurchaseorder={"nullable": False},
)

PURCHASE_ORDER_LINE_COLUMNS = _columns(
    {
        "idpurchaseorder_product": "bigint",
        "idpurchaseorder": "bigint",
        "idproduct": "bigint",
        "idvatgroup": "bigint",
        "productcode": "text",
        "productcode_supplier": "text",
        "name": "text",
        "price": "double",
        "amount": "bigint",
        "amountreceived": "bigint",
        "delivery_date": "date",
        "weight": "bigint",
    }
)

SUPPLIER_COLUMNS = _columns(
    {
        "idsupplier": "bigint",
        "name": "text",
        "contactname": "text",
        "address": "text",
        "address2": "text",
        "zipcode": "text",
        "city": "text",
        "region": "text",
        "country": "text",
        "telephone": "text",
        "emailaddress": "text",
        "remarks": "text",
        "language": "text",
        "active": "bool",
        "comment_count": "bigint",
    },
    idsupplier={"nullable": False},
)

FULFILMENT_CUSTOMER_COLUMNS = _columns(
    {"idfulfilment_customer": "bigint", "name": "text", "username": "text", "language": "text"},
    idfulfilment_customer={"nullable": False},
)

KEY_PROBE_COLUMNS = _columns(
    {
        "probed_at": "timestamp",
        "key_kind": "text",
        "suppliers_status": "bigint",
        "fulfilment_customer_id": "bigint",
        "picqer_host": "text",
        "key_change_accepted": "bool",
    },
    probed_at={"timezone": True, "nullable": False},
    key_kind={"nullable": False},
)


def reshape_purchase_order(order: Row) -> Row:
    """Cast a purchase order to its column types and copy its id onto each line, so lines join without dlt ids."""
    record = _cast(order, PURCHASE_ORDER_COLUMNS, "purchase order", order.get("idpurchaseorder"))
    order_id = record["idpurchaseorder"]
    lines = order.get("products") or []
    record["products"] = [
        _cast({**line, "idpurchaseorder": order_id}, PURCHASE_ORDER_LINE_COLUMNS, "purchase order line", order_id)
        for line in lines
    ]
    return record


def reshape_supplier(supplier: Row) -> Row:
    return _cast(supplier, SUPPLIER_COLUMNS, "supplier", supplier.get("idsupplier"))


def reshape_fulfilment_customer(customer: Row) -> Row:
    return _cast(customer, FULFILMENT_CUSTOMER_COLUMNS, "fulfilment customer", customer.get("idfulfilment_customer"))


def parse_timestamp(value: str) -> datetime:
    return datetime.strptime(value, TIMESTAMP_FORMAT)


def _cast(record: Row, columns: TTableSchemaColumns, kind: str, record_id: Any) -> Row:
    """Return a copy of `record` with every hinted field cast; unknown fields pass through for dlt to add."""
    cast = dict(record)
    for name, column in columns.items():
        if name not in record:
            continue
        try:
            cast[name] = _CASTS[column["data_type"]](record[name])
        except (TypeError, ValueError) as error:
            raise RecordError(
                f"Picqer {kind} {record_id}: field {name!r} has value {record[name]!r}, which is not a valid "
                f"{column['data_type']}."
            ) from error
    return cast


def _to_int(value: Any) -> Optional[int]:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise TypeError("a boolean is not an integer")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError("not a whole number")
    return int(value)


def _to_float(value: Any) -> Optional[float]:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    return float(value)


def _to_text(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise TypeError("a nested value is not text")
    return str(value)


def _to_bool(value: Any) -> Optional[bool]:
    if value is None or isinstance(value, bool):
        return value
    if value in (0, 1, "0", "1"):
        return bool(int(value))
    raise ValueError("not a boolean")


def _to_date(value: Any) -> Optional[date]:
    if value is None or value == "" or value == "0000-00-00":
        return None
    return date.fromisoformat(str(value)[:10])


def _to_timestamp(value: Any) -> Optional[datetime]:
    if value is None or value == "":
        return None
    return parse_timestamp(str(value))


_CASTS: dict[str, Callable[[Any], Any]] = {
    "bigint": _to_int,
    "double": _to_float,
    "text": _to_text,
    "bool": _to_bool,
    "date": _to_date,
    "timestamp": _to_timestamp,
}
