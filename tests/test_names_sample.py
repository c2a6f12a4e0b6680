"""Supplier keys of the sample account's purchase orders, with and without Picqer supplier objects loaded."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipelines.names.raw_tables import RawPurchaseOrder, RawSupplier, write_raw_tables
from pipelines.sandbox import SAMPLE_DIR
from pipelines.transform import run_dbt_build

SELECTOR = "+int_purchase_orders__supplier_keys +int_name_suppliers +supplier_merge_candidates"


def sample_orders() -> list[RawPurchaseOrder]:
    orders = json.loads((SAMPLE_DIR / "picqer" / "purchaseorders.json").read_text(encoding="utf-8"))
    return [RawPurchaseOrder(order["idpurchaseorder"], order["supplier_name"], order["idsupplier"]) for order in orders]


def sample_suppliers() -> list[RawSupplier]:
    suppliers = json.loads((SAMPLE_DIR / "picqer" / "suppliers.json").read_text(encoding="utf-8"))
    return [RawSupplier(supplier["idsupplier"], supplier["name"], bool(supplier["active"])) for supplier in suppliers]


def order_keys(warehouse: Path) -> dict[int, tuple[str, str]]:
    connection = duckdb.connect(str(warehouse))
    try:
        rows = connection.execute(
            "select purchase_order_id, supplier_key, resolution_rule from analytics.int_purchase_orders__supplier_keys"
        ).fetchall()
    finally:
        connection.close()
    return {order_id: (key, rule) for order_id, key, rule in rows}


@pytest.fixture(scope="module")
def admin_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    warehouse = tmp_path_factory.mktemp("admin") / "warehouse.duckdb"
    write_raw_tables(warehouse, sample_orders(), sample_suppliers())
    run_dbt_build(warehouse, select=SELECTOR, target_path=warehouse.parent / "target")
    yield warehouse


@pytest.fixture(scope="module")
def scoped_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    warehouse = tmp_path_factory.mktemp("scoped") / "warehouse.duckdb"
    write_raw_tables(warehouse, sample_orders(), suppliers=None)
    run_dbt_build(warehouse, select=SELECTOR, target_path=warehouse.parent / "target")
    yield warehouse


def test_name_only_orders_find_their_supplier_object(admin_warehouse: Path) -> None:
    truth_path = SAMPLE_DIR / "truth" / "names.csv"
    with truth_path.open(encoding="utf-8", newline="") as truth_file:
        truth = {row["raw_name"]: row["picqer_idsupplier"] for row in csv.DictReader(truth_file)}
    keys = order_keys(admin_warehouse)

    checked = 0
    for order in sample_orders():
        expected_id = truth.get(order.supplier_name or "")
        if order.picqer_supplier_id is not None or not expected_id:
            continue
        assert keys[order.purchase_order_id][0] == f"picqer:{expected_id}", order
        checked += 1
    assert checked > 100


def test_name_only_orders_without_object_stay_names(admin_warehouse: Path) -> None:
    truth_path = SAMPLE_DIR / "truth" / "names.csv"
    with truth_path.open(encoding="utf-8", newline="") as truth_file:
        truth = {row["raw_name"]: row["picqer_idsupplier"] for row in csv.DictReader(truth_file)}
    keys = order_keys(admin_warehouse)

    for order in sample_orders():
        if order.picqer_supplier_id is None and truth.get(order.supplier_name or "") == "":
            assert keys[order.purchase_order_id][0].startswith("name:"), order


def test_orders_with_loaded_supplier_use_it(admin_warehouse: Path) -> None:
    keys = order_keys(admin_warehouse)
    for order in sample_orders():
        if order.picqer_supplier_id is not None:
            assert keys[order.purchase_order_id] == (f"picqer:{order.picqer_supplier_id}", "picqer_supplier_id")


def test_every_order_gets_one_key(admin_warehouse: Path, scoped_warehouse: Path) -> None:
    order_ids = {order.purchase_order_id for order in sample_orders()}
    assert set(order_keys(admin_warehouse)) == order_ids
    assert set(order_keys(scoped_warehouse)) == order_ids


def test_blank_names_without_supplier_are_unknown(admin_warehouse: Path) -> None:
    keys = order_keys(admin_warehouse)
    for order in sample_orders():
        if order.picqer_supplier_id is None and not (order.supplier_name or "").strip():
            assert keys[order.purchase_order_id][0] == "unknown", order


def test_scoped_key_gives_only_name_suppliers(scoped_warehouse: Path) -> None:
    keys = order_keys(scoped_warehouse)
    assert not any(key.startswith("picqer:") for key, _ in keys.values())
    # Orders that carry only an idsupplier have no name to fall back on.
    id_only_orders = [order for order in sample_orders() if order.picqer_supplier_id and not order.supplier_name]
    assert all(keys[order.purchase_order_id][0] == "unknown" for order in id_only_orders)


def test_name_suppliers_have_display_names(scoped_warehouse: Path) -> None:
    connection = duckdb.connect(str(scoped_warehouse))
    try:
        rows = connection.execute(
            "select supplier_key, supplier_name, normalised_name from analytics.int_name_suppliers"
        ).fetchall()
        used_keys = {
            key for (key,) in connection.execute(
                "select distinct supplier_key from analytics.int_purchase_orders__supplier_keys "
                "where supplier_key like 'name:%'"
            ).fetchall()
        }
    finally:
        connection.close()
    assert {key for key, _, _ in rows} == used_keys
    display_names = {key: name for key, name, _ in rows}
    assert display_names["name:hoekstra-kunststoffen"] == display_names["name:hoekstra-kunststoffen"].strip()
    assert display_names["name:lefevre-emballages"] != display_names["name:lefebvre-emballages"]


def test_merge_candidates_propose_look_alikes(admin_warehouse: Path) -> None:
    connection = duckdb.connect(str(admin_warehouse))
    try:
        pairs = connection.execute(
            "select supplier_key, other_supplier_key, override_csv_row from analytics.supplier_merge_candidates"
        ).fetchall()
    finally:
        connection.close()
    assert ("picqer:1254", "picqer:1263") in {(first, second) for first, second, _ in pairs}
    assert all(row.startswith('"normalised_name","') for _, _, row in pairs)


def test_merge_candidates_capped_per_supplier(tmp_path: Path) -> None:
    """Ten branches of one trade name look alike in 45 pairs; each proposes only its three closest."""
    cities = ("Zwolle", "Venlo", "Breda", "Gent", "Leeds", "Essen", "Lille", "Rouen", "Arnhem", "Leiden")
    warehouse = tmp_path / "warehouse.duckdb"
    orders = [RawPurchaseOrder(index + 1, f"Kramer Transport {city}") for index, city in enumerate(cities)]
    write_raw_tables(warehouse, orders, suppliers=None)

    run_dbt_build(warehouse, select="+supplier_merge_candidates", target_path=tmp_path / "target")

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        pairs = connection.execute(
            "select supplier_key, other_supplier_key from analytics.supplier_merge_candidates"
        ).fetchall()
    keys = {key for pair in pairs for key in pair}
    assert len(keys) == len(cities)
    # Every supplier proposes three pairs, so the union contains at least 15 and at most 30 of the 45.
    assert 15 <= len(pairs) <= 30
    assert all(sum(key in pair for pair in pairs) >= 3 for key in keys)
