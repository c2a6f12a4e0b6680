"""The scale generator: dataset shape, sample proportions, determinism and the distinct-name count."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pipelines.sandbox import Sandbox
from pipelines.sandbox.dataset import DATASET_FILES, load_dataset
from pipelines.sandbox.scale import generate_account

ORDERS = 3_000


def _usable(name: Any) -> bool:
    return isinstance(name, str) and bool(name.strip())


@pytest.fixture(scope="module")
def account(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_account(ORDERS, tmp_path_factory.mktemp("scale") / "account", seed=7)


def test_generated_account_has_sample_layout(account: Path) -> None:
    for name in DATASET_FILES:
        assert (account / name).is_file(), name
    dataset = load_dataset(account)
    assert len(dataset.purchase_orders) == ORDERS
    assert dataset.suppliers
    assert [customer["idfulfilment_customer"] for customer in dataset.fulfilment_customers] == [12, 15, 31]
    assert dataset.optiply_suppliers


def test_generated_orders_have_sample_fields(account: Path) -> None:
    sample_order = json.loads((Path(__file__).parents[1] / "pipelines/sandbox/sample/picqer/purchaseorders.json").read_text())[0]
    dataset = load_dataset(account)
    for order in dataset.purchase_orders[:200]:
        assert set(order) == set(sample_order)
        assert order["products"]
        for line in order["products"]:
            assert set(line) == set(sample_order["products"][0])


def test_generated_keys_are_unique(account: Path) -> None:
    dataset = load_dataset(account)
    order_ids = [order["idpurchaseorder"] for order in dataset.purchase_orders]
    line_ids = [line["idpurchaseorder_product"] for order in dataset.purchase_orders for line in order["products"]]
    supplier_ids = [supplier["idsupplier"] for supplier in dataset.suppliers]
    assert len(set(order_ids)) == len(order_ids)
    assert len(set(line_ids)) == len(line_ids)
    assert len(set(supplier_ids)) == len(supplier_ids)


def test_supplier_categories_follow_sample(account: Path) -> None:
    orders = load_dataset(account).purchase_orders
    categories = Counter(
        (order["idsupplier"] is not None, _usable(order["supplier_name"])) for order in orders
    )
    # The sample: 646 of 1,500 orders with only an idsupplier, 143 with both, 677 with only a name, 34 with neither.
    assert categories[(True, False)] / ORDERS == pytest.approx(646 / 1500, abs=0.01)
    assert categories[(True, True)] / ORDERS == pytest.approx(143 / 1500, abs=0.01)
    assert categories[(False, True)] / ORDERS == pytest.approx(677 / 1500, abs=0.01)
    assert categories[(False, False)] / ORDERS == pytest.approx(34 / 1500, abs=0.01)


def test_blank_names_include_every_sample_kind(account: Path) -> None:
    orders = load_dataset(account).purchase_orders
    blanks = {order["supplier_name"] for order in orders if order["idsupplier"] is None and not _usable(order["supplier_name"])}
    assert blanks == {"", "\t", "   ", None}


def test_clients_and_statuses_follow_sample(account: Path) -> None:
    orders = load_dataset(account).purchase_orders
    clients = Counter(order["idfulfilment_customer"] for order in orders)
    statuses = Counter(order["status"] for order in orders)
    assert clients[12] / ORDERS == pytest.approx(675 / 1500, abs=0.04)
    assert clients[None] / ORDERS == pytest.approx(75 / 1500, abs=0.02)
    assert statuses["received"] / ORDERS == pytest.approx(904 / 1500, abs=0.04)
    assert all(order["idwarehouse"] == (3022 if order["idfulfilment_customer"] == 31 else 3021) for order in orders)


def test_referenced_suppliers_exist(account: Path) -> None:
    dataset = load_dataset(account)
    known = {supplier["idsupplier"] for supplier in dataset.suppliers}
    referenced = {order["idsupplier"] for order in dataset.purchase_orders if order["idsupplier"] is not None}
    assert referenced <= known
    assert {supplier["active"] for supplier in dataset.suppliers} == {True, False}


def test_names_include_variants_of_supplier_objects(account: Path) -> None:
    orders = load_dataset(account).purchase_orders
    object_names = {supplier["name"] for supplier in load_dataset(account).suppliers}
    both = [order for order in orders if order["idsupplier"] is not None and _usable(order["supplier_name"])]
    exact = sum(1 for order in both if order["supplier_name"] in object_names)
    assert 0 < exact < len(both)
    assert any(order["supplier_name"].isupper() for order in orders if _usable(order["supplier_name"]))


def test_optiply_account_has_synced_and_manual_suppliers(account: Path) -> None:
    optiply = load_dataset(account).optiply_suppliers
    assert any(row["attributes"]["remoteIdMap"].get("7") for row in optiply)
    assert any(not row["attributes"]["createdFromPublicApi"] for row in optiply)


def test_distinct_name_count_is_exact(tmp_path: Path) -> None:
    account = generate_account(1_000, tmp_path / "names", seed=1, distinct_names=400)
    orders = load_dataset(account).purchase_orders
    names = {order["supplier_name"] for order in orders if _usable(order["supplier_name"])}
    assert len(names) == 400


def test_too_many_distinct_names_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="distinct_names"):
        generate_account(100, tmp_path / "names", distinct_names=90)


def test_zero_orders_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="orders"):
        generate_account(0, tmp_path / "empty")


def test_same_seed_writes_same_files(tmp_path: Path) -> None:
    first = generate_account(500, tmp_path / "first", seed=3)
    second = generate_account(500, tmp_path / "second", seed=3)
    other = generate_account(500, tmp_path / "other", seed=4)
    for name in DATASET_FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert (first / DATASET_FILES[0]).read_bytes() != (other / DATASET_FILES[0]).read_bytes()


def test_sandbox_serves_generated_account(tmp_path: Path) -> None:
    import requests

    account = generate_account(250, tmp_path / "served", seed=2)
    with Sandbox(data_dir=account) as sandbox:
        env = sandbox.env()
        session = requests.Session()
        session.auth = (env["SOURCES__PICQER__API_KEY"], "")
        session.headers["User-Agent"] = env["SOURCES__PICQER__USER_AGENT"]
        pages = [session.get(f"{sandbox.picqer_base_url}/purchaseorders", params={"offset": offset}) for offset in (0, 100, 200)]
    assert [page.status_code for page in pages] == [200, 200, 200]
    assert [len(page.json()) for page in pages] == [100, 100, 50]


def test_command_line_writes_account(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "pipelines.sandbox.scale", "--orders", "120", "--out", str(tmp_path / "cli"),
         "--distinct-names", "30", "--seed", "5"],
        capture_output=True, text=True, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert len(load_dataset(tmp_path / "cli").purchase_orders) == 120


def test_command_line_rejects_bad_name_count(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "pipelines.sandbox.scale", "--orders", "10", "--out", str(tmp_path / "bad"),
         "--distinct-names", "50"],
        capture_output=True, text=True, check=False,
    )
    assert completed.returncode == 2
    assert "distinct_names" in completed.stderr
