"""Switching a warehouse between a scoped and an admin Picqer key, and back, with the real command line.

The sample account's truth files name the real-world supplier behind every name and supplier object, so the tests
can check that Optiply never contains two suppliers for one real supplier across both switches.
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from pathlib import Path

import pytest

from pipelines.sandbox import SAMPLE_DIR, Sandbox
from pipelines.sandbox.credentials import OPTIPLY_COUPLING_ID, PICQER_ADMIN_KEY, picqer_scoped_key
from test_end_to_end import optiply_writes, query, run_command

KEY_CHANGE_EXIT_STATUS = 3


def read_truth() -> tuple[dict[str, str], dict[str, str]]:
    """Return the real supplier per raw name (trimmed) and per idsupplier."""
    with open(SAMPLE_DIR / "truth" / "names.csv", newline="", encoding="utf-8") as names_file:
        by_name = {row["raw_name"].strip(): row["true_supplier"] for row in csv.DictReader(names_file)}
    with open(SAMPLE_DIR / "truth" / "suppliers.csv", newline="", encoding="utf-8") as suppliers_file:
        by_id = {row["idsupplier"]: row["true_supplier"] for row in csv.DictReader(suppliers_file)}
    return by_name, by_id


TRUTH_BY_NAME, TRUTH_BY_ID = read_truth()


def real_suppliers_per_optiply_supplier(sandbox: Sandbox, warehouse: Path) -> dict[str, set[str]]:
    """Map every Optiply supplier an integration made to the real suppliers it stands for."""
    names_per_key: dict[str, set[str]] = defaultdict(set)
    for supplier_key, supplier_name in query(
        warehouse, "select supplier_key, supplier_name from analytics.supplier_name_mappings"
    ):
        names_per_key[supplier_key].add(supplier_name.strip())
    key_per_optiply_id = {
        str(optiply_id): key
        for key, optiply_id in query(warehouse, "select supplier_key, optiply_supplier_id from optiply_sync.supplier_links")
    }

    real: dict[str, set[str]] = {}
    for supplier in sandbox.optiply.suppliers():
        attributes = supplier["attributes"]
        if not attributes["createdFromPublicApi"]:
            continue
        found: set[str] = set()
        remote_id = attributes["remoteIdMap"].get(str(OPTIPLY_COUPLING_ID))
        key = key_per_optiply_id.get(supplier["id"])
        if remote_id in TRUTH_BY_ID:
            found.add(TRUTH_BY_ID[remote_id])
        if key and key.startswith("picqer:"):
            found.add(TRUTH_BY_ID[key.removeprefix("picqer:")])
        if key:
            found |= {TRUTH_BY_NAME[name] for name in names_per_key[key] if name in TRUTH_BY_NAME}
        if attributes["name"].strip() in TRUTH_BY_NAME:
            found.add(TRUTH_BY_NAME[attributes["name"].strip()])
        real[supplier["id"]] = found
    return real


def optiply_suppliers_per_real_supplier(sandbox: Sandbox, warehouse: Path) -> dict[str, set[str]]:
    """Return the Optiply suppliers per real supplier, checking that none stands for two real suppliers."""
    optiply_ids_per_real: dict[str, set[str]] = defaultdict(set)
    for optiply_id, real_suppliers in real_suppliers_per_optiply_supplier(sandbox, warehouse).items():
        assert len(real_suppliers) <= 1, f"Optiply supplier {optiply_id} stands for {sorted(real_suppliers)}"
        for real_supplier in real_suppliers:
            optiply_ids_per_real[real_supplier].add(optiply_id)
    return optiply_ids_per_real


def assert_one_optiply_supplier_per_real_supplier(sandbox: Sandbox, warehouse: Path) -> None:
    """Check that Optiply contains no two suppliers, ignored ones included, for one real supplier."""
    duplicated = {
        real: sorted(ids) for real, ids in optiply_suppliers_per_real_supplier(sandbox, warehouse).items() if len(ids) > 1
    }
    assert duplicated == {}


def assert_remote_ids_unique_among_active(sandbox: Sandbox) -> None:
    """Check that no two Optiply suppliers in use carry the same remote id under our coupling."""
    remote_ids = [
        supplier["attributes"]["remoteIdMap"].get(str(OPTIPLY_COUPLING_ID))
        for supplier in sandbox.optiply.suppliers()
        if not supplier["attributes"].get("ignored")
    ]
    duplicated = sorted({remote_id for remote_id in remote_ids if remote_id and remote_ids.count(remote_id) > 1})
    assert duplicated == []


def links(warehouse: Path) -> dict[str, int]:
    return dict(query(warehouse, "select supplier_key, optiply_supplier_id from optiply_sync.supplier_links"))


@pytest.fixture
def switching_job(tmp_path: Path):
    with Sandbox(data_dir=SAMPLE_DIR, optiply_state_file=tmp_path / "optiply.json") as sandbox:
        base = {**os.environ, **sandbox.env(), "WAREHOUSE__PATH": str(tmp_path / "warehouse.duckdb")}
        scoped = {**base, "SOURCES__PICQER__API_KEY": picqer_scoped_key(12)}
        admin = {**base, "SOURCES__PICQER__API_KEY": PICQER_ADMIN_KEY, "SOURCES__PICQER__FULFILMENT_CUSTOMER_ID": "12"}
        yield sandbox, scoped, admin, tmp_path / "warehouse.duckdb"


def test_key_change_without_accepting_changes_nothing(switching_job) -> None:
    sandbox, scoped, admin, warehouse = switching_job
    assert run_command(["run"], scoped).returncode == 0
    probes_before = query(warehouse, "select count(*) from picqer_raw.key_probes")
    links_before = links(warehouse)
    state_before = sandbox.optiply.suppliers()
    sandbox.optiply.requests.clear()

    completed = run_command(["run"], admin)

    assert completed.returncode == KEY_CHANGE_EXIT_STATUS
    assert "changed from scoped to admin" in completed.stderr
    assert "--accept-key-change" in completed.stderr
    assert query(warehouse, "select count(*) from picqer_raw.key_probes") == probes_before
    refused = query(
        warehouse,
        "select previous_key_kind, detected_key_kind, fulfilment_customer_id from picqer_audit.refused_key_changes",
    )
    assert refused == [("scoped", "admin", 12)]
    assert links(warehouse) == links_before
    assert optiply_writes(sandbox) == []
    assert sandbox.optiply.suppliers() == state_before


def test_scoped_to_admin_keeps_optiply_suppliers(switching_job) -> None:
    sandbox, scoped, admin, warehouse = switching_job
    assert run_command(["run"], scoped).returncode == 0
    assert_one_optiply_supplier_per_real_supplier(sandbox, warehouse)
    scoped_links = links(warehouse)
    assert all(key.startswith(("name:", "unknown")) for key in scoped_links)

    completed = run_command(["run", "--accept-key-change"], admin)

    assert completed.returncode == 0, completed.stderr[-3000:]
    admin_links = links(warehouse)
    assert set(scoped_links.values()) <= set(admin_links.values()), "every Optiply supplier stays linked"
    relinked = {key: optiply_id for key, optiply_id in admin_links.items() if optiply_id in scoped_links.values()}
    moved = [key for key in relinked if key not in scoped_links]
    assert moved, "name suppliers that match a supplier object move to its key"
    assert all(key.startswith("picqer:") for key in moved)
    for key in moved:
        remote_id = key.removeprefix("picqer:")
        optiply = next(s for s in sandbox.optiply.suppliers() if s["id"] == str(relinked[key]))
        assert optiply["attributes"]["remoteIdMap"][str(OPTIPLY_COUPLING_ID)] == remote_id
    assert_one_optiply_supplier_per_real_supplier(sandbox, warehouse)
    assert_remote_ids_unique_among_active(sandbox)
    changes = query(warehouse, "select from_key_kind, to_key_kind, relinked_supplier_count from analytics.key_scope_changes")
    assert changes == [("scoped", "admin", len(moved))]


def test_admin_to_scoped_keeps_supplier_objects(switching_job) -> None:
    sandbox, scoped, admin, warehouse = switching_job
    assert run_command(["run"], admin).returncode == 0
    admin_links = links(warehouse)
    assert_one_optiply_supplier_per_real_supplier(sandbox, warehouse)
    assert run_command(["run"], scoped).returncode == KEY_CHANGE_EXIT_STATUS
    sandbox.optiply.requests.clear()

    completed = run_command(["run", "--accept-key-change"], scoped)

    assert completed.returncode == 0, completed.stderr[-3000:]
    assert links(warehouse) == admin_links
    assert optiply_writes(sandbox) == []
    stale = query(
        warehouse,
        "select count(*) filter (where not is_object_refreshed), count(*) from analytics.dim_suppliers "
        "where supplier_source = 'picqer_supplier'",
    )
    assert stale[0][0] == stale[0][1] > 0, "every kept supplier object is marked as not refreshed"
    changes = query(warehouse, "select from_key_kind, to_key_kind, kept_supplier_object_count from analytics.key_scope_changes")
    assert changes == [("admin", "scoped", stale[0][1])]
    assert_one_optiply_supplier_per_real_supplier(sandbox, warehouse)


def test_switching_back_and_forth_never_duplicates(switching_job) -> None:
    sandbox, scoped, admin, warehouse = switching_job
    assert run_command(["run"], scoped).returncode == 0
    first_ids = set(links(warehouse).values())
    assert run_command(["run", "--accept-key-change"], admin).returncode == 0
    assert_one_optiply_supplier_per_real_supplier(sandbox, warehouse)
    assert run_command(["run", "--accept-key-change"], scoped).returncode == 0

    assert first_ids <= set(links(warehouse).values())
    assert_one_optiply_supplier_per_real_supplier(sandbox, warehouse)
    assert_remote_ids_unique_among_active(sandbox)
    assert len(query(warehouse, "select * from analytics.key_scope_changes")) == 2


def test_misspelt_name_adopts_synced_supplier(switching_job) -> None:
    """Optiply's own sync made 'Bakker Logistics B.V.'; client 12's orders only spell it 'Bakker Logsitics B.V.'."""
    sandbox, scoped, _, warehouse = switching_job

    assert run_command(["run"], scoped).returncode == 0

    linked_to_synced = query(
        warehouse,
        "select supplier_links.optiply_supplier_id, supplier_links.link_origin "
        "from analytics.supplier_name_mappings "
        "inner join optiply_sync.supplier_links using (supplier_key) "
        "where supplier_name = 'Bakker Logsitics B.V.'",
    )
    assert linked_to_synced == [(90001, "adopted_by_name")]
    assert optiply_suppliers_per_real_supplier(sandbox, warehouse)["nl_bakker_logistics"] == {"90001"}
