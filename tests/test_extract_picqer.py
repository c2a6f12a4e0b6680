"""The Picqer extract against the sandbox: real HTTP, a real dlt pipeline and a real DuckDB file."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import duckdb
import pytest

from pipelines.config import ConfigurationError, PicqerConfiguration
from pipelines.picqer.client import PicqerAuthError, PicqerNotFoundError
from pipelines.picqer.extract import extract_picqer
from pipelines.picqer.key_kind import KeyKind, KeyKindChangedError
from pipelines.sandbox import SAMPLE_DIR, Sandbox
from pipelines.sandbox.credentials import PICQER_ADMIN_KEY, picqer_scoped_key

SAMPLE_ORDERS = json.loads((SAMPLE_DIR / "picqer" / "purchaseorders.json").read_text(encoding="utf-8"))
SAMPLE_SUPPLIERS = json.loads((SAMPLE_DIR / "picqer" / "suppliers.json").read_text(encoding="utf-8"))


def picqer_config(sandbox: Sandbox, api_key: str = PICQER_ADMIN_KEY, **overrides: object) -> PicqerConfiguration:
    return PicqerConfiguration(
        api_key=api_key,
        user_agent="picqer-optiply tests (tests@example.com)",
        base_url=overrides.pop("base_url", sandbox.picqer_base_url),
        **overrides,
    )


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def count(warehouse: Path, table: str) -> int:
    return query(warehouse, f"select count(*) from {table}")[0][0]


def picqer_paths(sandbox: Sandbox) -> list[str]:
    return [request.path for request in sandbox.picqer.requests]


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def picqer_sandbox():
    with Sandbox(data_dir=SAMPLE_DIR) as sandbox:
        yield sandbox


def test_admin_extract_loads_every_order_and_supplier(picqer_sandbox: Sandbox, warehouse: Path) -> None:
    result = extract_picqer(warehouse, picqer_config(picqer_sandbox))

    assert result.key_kind == KeyKind.ADMIN
    assert result.incremental is False
    assert count(warehouse, "picqer_raw.purchase_orders") == len(SAMPLE_ORDERS)
    assert count(warehouse, "picqer_raw.purchase_orders__products") == sum(len(o["products"]) for o in SAMPLE_ORDERS)
    assert count(warehouse, "picqer_raw.suppliers") == len(SAMPLE_SUPPLIERS)
    assert query(warehouse, "select count(*) from picqer_raw.suppliers where not active")[0][0] == sum(
        1 for supplier in SAMPLE_SUPPLIERS if not supplier["active"]
    )
    assert query(warehouse, "select key_kind, suppliers_status from picqer_raw.key_probes") == [("admin", 200)]
    assert picqer_paths(picqer_sandbox).count("/suppliers") == 2, "the probe page is reused, inactive read once"


def test_extract_column_types_follow_hints(picqer_sandbox: Sandbox, warehouse: Path) -> None:
    extract_picqer(warehouse, picqer_config(picqer_sandbox))
    types = dict(
        query(
            warehouse,
            "select table_name || '.' || column_name, data_type from information_schema.columns "
            "where table_schema = 'picqer_raw'",
        )
    )

    assert types["purchase_orders.updated"] == "TIMESTAMP"
    assert types["purchase_orders.created"] == "TIMESTAMP"
    assert types["purchase_orders.purchaseorderid"] == "VARCHAR"
    assert types["purchase_orders.delivery_date"] == "DATE"
    assert types["purchase_orders.idtemplate"] == "BIGINT"
    assert types["purchase_orders__products.idpurchaseorder"] == "BIGINT"
    assert types["purchase_orders__products.price"] == "DOUBLE"
    assert types["suppliers.active"] == "BOOLEAN"


def test_naive_timestamps_keep_picqer_local_time(picqer_sandbox: Sandbox, warehouse: Path) -> None:
    extract_picqer(warehouse, picqer_config(picqer_sandbox))
    first = SAMPLE_ORDERS[0]
    loaded = query(
        warehouse,
        f"select strftime(updated, '%Y-%m-%d %H:%M:%S') from picqer_raw.purchase_orders "
        f"where idpurchaseorder = {first['idpurchaseorder']}",
    )
    assert loaded == [(first["updated"],)]


def test_second_run_reads_incrementally_without_duplicates(picqer_sandbox: Sandbox, warehouse: Path) -> None:
    extract_picqer(warehouse, picqer_config(picqer_sandbox))
    picqer_sandbox.picqer.requests.clear()

    changed = dict(SAMPLE_ORDERS[0], updated="2026-12-09 10:00:00", supplier_name="Changed Supplier B.V.")
    changed["products"] = changed["products"][:1]
    picqer_sandbox.picqer.upsert_purchase_order(changed)
    result = extract_picqer(warehouse, picqer_config(picqer_sandbox))

    order_requests = [r for r in picqer_sandbox.picqer.requests if r.path == "/purchaseorders"]
    assert result.incremental is True
    assert all("updated_after" in request.query for request in order_requests)
    assert len(order_requests) <= 2
    assert count(warehouse, "picqer_raw.purchase_orders") == len(SAMPLE_ORDERS)
    order_id = changed["idpurchaseorder"]
    assert query(warehouse, f"select supplier_name from picqer_raw.purchase_orders where idpurchaseorder = {order_id}") == [
        ("Changed Supplier B.V.",)
    ]
    assert count(warehouse, f"picqer_raw.purchase_orders__products where idpurchaseorder = {order_id}") == 1


def test_incremental_filter_starts_before_newest_update(picqer_sandbox: Sandbox, warehouse: Path) -> None:
    extract_picqer(warehouse, picqer_config(picqer_sandbox))
    picqer_sandbox.picqer.requests.clear()
    extract_picqer(warehouse, picqer_config(picqer_sandbox))

    newest = max(order["updated"] for order in SAMPLE_ORDERS)
    filters = {r.query.get("updated_after") for r in picqer_sandbox.picqer.requests if r.path == "/purchaseorders"}
    assert len(filters) == 1
    (updated_after,) = filters
    assert len(updated_after) == 19, "four-digit year, seconds included"
    assert updated_after < newest


def test_scoped_key_reads_only_its_client_and_no_suppliers(picqer_sandbox: Sandbox, warehouse: Path) -> None:
    result = extract_picqer(warehouse, picqer_config(picqer_sandbox, api_key=picqer_scoped_key(12)))

    assert result.key_kind == KeyKind.SCOPED
    assert count(warehouse, "picqer_raw.purchase_orders") == sum(
        1 for order in SAMPLE_ORDERS if order["idfulfilment_customer"] == 12
    )
    assert query(warehouse, "select distinct idfulfilment_customer from picqer_raw.purchase_orders") == [(12,)]
    assert count(warehouse, "picqer_raw.suppliers") == 0
    assert picqer_paths(picqer_sandbox).count("/suppliers") == 1, "only the probe touches /suppliers"
    assert query(warehouse, "select key_kind, fulfilment_customer_id from picqer_raw.key_probes") == [("scoped", 12)]


def test_scoped_key_rejects_other_configured_client(picqer_sandbox: Sandbox, warehouse: Path) -> None:
    with pytest.raises(ConfigurationError) as raised:
        extract_picqer(warehouse, picqer_config(picqer_sandbox, api_key=picqer_scoped_key(12), fulfilment_customer_id=15))
    assert "fulfilment client 12" in str(raised.value)


@pytest.mark.parametrize("denied_status", [401, 403])
def test_scoped_key_detected_from_either_status(picqer_sandbox: Sandbox, warehouse: Path, denied_status: int) -> None:
    picqer_sandbox.picqer.settings.suppliers_denied_status = denied_status
    result = extract_picqer(warehouse, picqer_config(picqer_sandbox, api_key=picqer_scoped_key(12)))
    assert result.key_kind == KeyKind.SCOPED
    assert query(warehouse, "select suppliers_status from picqer_raw.key_probes") == [(denied_status,)]


def test_revoked_key_is_an_auth_error(
    picqer_sandbox: Sandbox, warehouse: Path, caplog: pytest.LogCaptureFixture
) -> None:
    revoked = "revoked-key-do-not-print"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(PicqerAuthError) as raised:
        extract_picqer(warehouse, picqer_config(picqer_sandbox, api_key=revoked))
    assert "sources.picqer.api_key" in str(raised.value)
    assert revoked not in str(raised.value)
    assert "scoped" not in str(raised.value)
    assert "scoped" not in caplog.text
    assert revoked not in caplog.text


def test_admin_key_without_the_warehouse_client_is_rejected(picqer_sandbox: Sandbox, warehouse: Path) -> None:
    extract_picqer(warehouse, picqer_config(picqer_sandbox, api_key=picqer_scoped_key(12)))
    loaded = count(warehouse, "picqer_raw.purchase_orders")

    for other_client in (None, 15):
        with pytest.raises(ConfigurationError) as raised:
            extract_picqer(
                warehouse,
                picqer_config(picqer_sandbox, fulfilment_customer_id=other_client),
                accept_key_change=True,
            )
        assert "fulfilment_customer_id" in str(raised.value)
        assert "client 12" in str(raised.value)

    assert count(warehouse, "picqer_raw.purchase_orders") == loaded
    assert count(warehouse, "picqer_raw.key_probes") == 1


def test_scoped_key_of_another_client_is_rejected(picqer_sandbox: Sandbox, warehouse: Path) -> None:
    extract_picqer(warehouse, picqer_config(picqer_sandbox, api_key=picqer_scoped_key(12)))

    with pytest.raises(ConfigurationError) as raised:
        extract_picqer(warehouse, picqer_config(picqer_sandbox, api_key=picqer_scoped_key(15)))

    assert "client 12" in str(raised.value)
    assert "client 15" in str(raised.value)
    assert count(warehouse, "picqer_raw.key_probes") == 1


def test_key_change_stops_before_loading(picqer_sandbox: Sandbox, warehouse: Path) -> None:
    extract_picqer(warehouse, picqer_config(picqer_sandbox))
    picqer_sandbox.picqer.upsert_purchase_order(dict(SAMPLE_ORDERS[1], updated="2026-12-09 11:00:00", status="received"))

    with pytest.raises(KeyKindChangedError) as raised:
        extract_picqer(warehouse, picqer_config(picqer_sandbox, api_key=picqer_scoped_key(12)))

    assert "--accept-key-change" in str(raised.value)
    assert count(warehouse, "picqer_raw.key_probes") == 1
    assert count(warehouse, "picqer_raw.suppliers") == len(SAMPLE_SUPPLIERS)


def test_wrong_base_url_is_not_found(picqer_sandbox: Sandbox, warehouse: Path) -> None:
    wrong = picqer_sandbox.picqer_base_url.replace("/api/v1", "/api/v9")
    with pytest.raises(PicqerNotFoundError) as raised:
        extract_picqer(warehouse, picqer_config(picqer_sandbox, base_url=wrong))
    assert "sources.picqer.base_url" in str(raised.value)


def test_unknown_fulfilment_customer_is_rejected(picqer_sandbox: Sandbox, warehouse: Path) -> None:
    with pytest.raises(ConfigurationError) as raised:
        extract_picqer(warehouse, picqer_config(picqer_sandbox, fulfilment_customer_id=99))
    assert "fulfilment_customer_id" in str(raised.value)


def test_faults_are_retried_to_complete_data(picqer_sandbox: Sandbox, warehouse: Path) -> None:
    picqer_sandbox.picqer.settings.retry_after = 0.05
    picqer_sandbox.picqer.faults.add("html_500", path_prefix="/purchaseorders", count=1)
    picqer_sandbox.picqer.faults.add("rate_limit", path_prefix="/purchaseorders", count=2)
    picqer_sandbox.picqer.faults.add("truncated_json", path_prefix="/purchaseorders", count=1)

    extract_picqer(warehouse, picqer_config(picqer_sandbox))

    assert count(warehouse, "picqer_raw.purchase_orders") == len(SAMPLE_ORDERS)
    assert query(warehouse, "select count(distinct idpurchaseorder) from picqer_raw.purchase_orders") == [
        (len(SAMPLE_ORDERS),)
    ]
