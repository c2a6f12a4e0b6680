"""The supplier exporter carrying out a plan against the sandbox, with the links and log in a real warehouse."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.config import OptiplyConfiguration
from pipelines.optiply import OptiplyAuthError, OptiplyClient, export_suppliers, format_plan
from pipelines.optiply.plan import PlanError
from pipelines.optiply.sync_store import SyncTablesMissingError
from pipelines.sandbox import Sandbox
from pipelines.sandbox.credentials import (
    OPTIPLY_CLIENT_ID,
    OPTIPLY_CLIENT_SECRET,
    OPTIPLY_COUPLING_ID,
    OPTIPLY_PASSWORD,
    OPTIPLY_USERNAME,
)
from pipelines.warehouse import WarehouseBusyError
from test_optiply_support import (  # noqa: F401 (fixtures)
    FAST_RETRIES,
    PlanRow,
    client,
    create_warehouse,
    optiply_config,
    insert_plan_payload,
    payload_hash,
    query,
    replan_from_links,
    sandbox,
    suppliers_with_remote_id,
    token_requests,
    write_plan,
    writes,
)

# Optiply accepts a delivery time of 1 to 365 days only.
REJECTED_PAYLOAD = {"name": "Te Lange Levertijd", "emails": [], "remoteId": "5004", "ignored": False, "deliveryTime": 999}
NEW_SUPPLIER = PlanRow("picqer:5001", "5001", "create", "Nieuwe Leverancier B.V.", ("inkoop@nieuwe.example",))
SECOND_NEW_SUPPLIER = PlanRow("picqer:5002", "5002", "create", "Tweede Leverancier", ())
ADOPTED_SUPPLIER = PlanRow(
    "picqer:1294",
    "1294",
    "adopt",
    "Bakker Logistics B.V.",
    ("orders@bakkerlogisticsbv.example", "planning@bakker.example"),
    optiply_supplier_id=90001,
    adopted_by="remote_id",
)


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


def links(warehouse: Path) -> dict[str, tuple]:
    rows = query(
        warehouse,
        "select supplier_key, optiply_supplier_id, remote_id, payload_hash, link_origin, linked_at, sent_at "
        "from optiply_sync.supplier_links",
    )
    return {row[0]: row[1:] for row in rows}


def log_rows(warehouse: Path) -> list[tuple]:
    return query(
        warehouse,
        "select run_id, supplier_key, action, method, status_code, optiply_supplier_id, error, attempt "
        "from optiply_sync.export_log order by request_number",
    )


def pending(warehouse: Path) -> list[tuple]:
    return query(warehouse, "select supplier_key, remote_id from optiply_sync.pending_supplier_creates")


def test_create_then_unchanged(
    warehouse: Path, optiply_config: OptiplyConfiguration, client: OptiplyClient, sandbox: Sandbox
) -> None:
    plan = [NEW_SUPPLIER, SECOND_NEW_SUPPLIER]
    create_warehouse(warehouse, plan)

    first = export_suppliers(warehouse, optiply_config, client=client)

    assert (first.created, first.failed) == (2, 0)
    created = suppliers_with_remote_id(sandbox, OPTIPLY_COUPLING_ID, "5001")
    assert len(created) == 1
    assert created[0]["attributes"]["emails"] == ["inkoop@nieuwe.example"]
    link = links(warehouse)["picqer:5001"]
    assert link[0] == int(created[0]["id"])
    assert link[1:4] == ("5001", payload_hash(NEW_SUPPLIER.payload()), "created")
    assert pending(warehouse) == []

    replan_from_links(warehouse, plan)
    writes_before = len(writes(sandbox))
    second = export_suppliers(warehouse, optiply_config, client=client)

    assert (second.created, second.unchanged, second.failed) == (0, 2, 0)
    assert len(writes(sandbox)) == writes_before
    assert len(sandbox.optiply.suppliers()) == 7
    assert {row[0] for row in log_rows(warehouse)} == {first.run_id}


def test_export_log_one_row_per_request(
    warehouse: Path, optiply_config: OptiplyConfiguration, client: OptiplyClient, sandbox: Sandbox
) -> None:
    create_warehouse(warehouse, [NEW_SUPPLIER])
    sandbox.optiply.faults.add("rate_limit", path_prefix="/v1/suppliers", retry_after=0)
    sandbox.optiply.faults.add("html_500", path_prefix="/v1/suppliers")
    sandbox.optiply.faults.add("status", path_prefix="/v1/suppliers", status=503)

    result = export_suppliers(warehouse, optiply_config, client=client)

    assert (result.created, result.failed) == (1, 0)
    assert len(suppliers_with_remote_id(sandbox, OPTIPLY_COUPLING_ID, "5001")) == 1
    rows = log_rows(warehouse)
    token_rows = [row for row in rows if row[2] == "authenticate"]
    post_rows = [row for row in rows if row[2] == "create"]
    assert len(token_rows) == 1
    assert [(row[3], row[4], row[7]) for row in post_rows] == [
        ("POST", 429, 1),
        ("POST", 500, 2),
        ("POST", 503, 3),
        ("POST", 201, 4),
    ]
    optiply_id = links(warehouse)["picqer:5001"][0]
    assert {row[5] for row in post_rows} == {optiply_id}
    assert {row[1] for row in rows} == {"picqer:5001"}


def test_adopt_by_remote_id(
    warehouse: Path, optiply_config: OptiplyConfiguration, client: OptiplyClient, sandbox: Sandbox
) -> None:
    create_warehouse(warehouse, [ADOPTED_SUPPLIER])

    result = export_suppliers(warehouse, optiply_config, client=client)

    assert (result.adopted, result.created, result.failed) == (1, 0, 0)
    assert [(request.method, request.path) for request in writes(sandbox)] == [("PATCH", "/v1/suppliers/90001")]
    adopted = suppliers_with_remote_id(sandbox, OPTIPLY_COUPLING_ID, "1294")
    assert [supplier["id"] for supplier in adopted] == ["90001"]
    assert adopted[0]["attributes"]["emails"] == list(ADOPTED_SUPPLIER.emails)
    assert adopted[0]["attributes"]["deliveryTime"] is None  # not in the payload, so untouched
    assert links(warehouse)["picqer:1294"][:4] == (90001, "1294", payload_hash(ADOPTED_SUPPLIER.payload()),
                                                   "adopted_by_remote_id")
    assert len(sandbox.optiply.suppliers()) == 5


def test_update_keeps_link_origin(
    warehouse: Path, optiply_config: OptiplyConfiguration, client: OptiplyClient, sandbox: Sandbox
) -> None:
    create_warehouse(warehouse, [ADOPTED_SUPPLIER])
    export_suppliers(warehouse, optiply_config, client=client)
    linked_at = links(warehouse)["picqer:1294"][4]
    renamed = PlanRow("picqer:1294", "1294", "adopt", "Bakker Logistics", ADOPTED_SUPPLIER.emails)

    replan_from_links(warehouse, [renamed])
    result = export_suppliers(warehouse, optiply_config, client=client)

    assert (result.updated, result.failed) == (1, 0)
    link = links(warehouse)["picqer:1294"]
    assert link[2:5] == (payload_hash(renamed.payload()), "adopted_by_remote_id", linked_at)
    assert link[5] > linked_at
    assert suppliers_with_remote_id(sandbox, OPTIPLY_COUPLING_ID, "1294")[0]["attributes"]["name"] == (
        "Bakker Logistics"
    )


def test_key_change_moves_link_to_successor(
    warehouse: Path, optiply_config: OptiplyConfiguration, client: OptiplyClient, sandbox: Sandbox
) -> None:
    name_supplier = PlanRow("name:bakker-logistics", "name:bakker-logistics", "create", "Bakker Logistics B.V.")
    create_warehouse(warehouse, [name_supplier])
    export_suppliers(warehouse, optiply_config, client=client)
    optiply_id = links(warehouse)["name:bakker-logistics"][0]
    successor = PlanRow(
        "picqer:1294", "1294", "adopt", "Bakker Logistics B.V.",
        optiply_supplier_id=optiply_id, adopted_by="key_change", replaces_supplier_key="name:bakker-logistics",
    )
    sandbox.optiply.requests.clear()

    with duckdb.connect(str(warehouse)) as connection:
        write_plan(connection, [successor])
    result = export_suppliers(warehouse, optiply_config, client=client)

    assert (result.adopted, result.created, result.failed) == (1, 0, 0)
    assert [(request.method, request.path) for request in writes(sandbox)] == [("PATCH", f"/v1/suppliers/{optiply_id}")]
    current_links = links(warehouse)
    assert "name:bakker-logistics" not in current_links
    assert current_links["picqer:1294"][0] == optiply_id
    assert current_links["picqer:1294"][3] == "relinked"
    assert [s["id"] for s in suppliers_with_remote_id(sandbox, OPTIPLY_COUPLING_ID, "1294")] == ["90001", str(optiply_id)]


def test_invalid_email_left_out_and_logged(
    warehouse: Path,
    optiply_config: OptiplyConfiguration,
    client: OptiplyClient,
    sandbox: Sandbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bad = PlanRow("picqer:5003", "5003", "create", "Slecht Adres B.V.", ("inkoop at slecht", "info@slecht.example"))
    create_warehouse(warehouse, [NEW_SUPPLIER, bad])

    with caplog.at_level(logging.INFO):
        result = export_suppliers(warehouse, optiply_config, client=client)

    assert (result.created, result.failed) == (2, 0)
    assert result.payload_changes.emails_dropped == 1
    created = suppliers_with_remote_id(sandbox, OPTIPLY_COUPLING_ID, "5003")
    assert [supplier["attributes"]["emails"] for supplier in created] == [["info@slecht.example"]]
    assert links(warehouse)["picqer:5003"][2] == payload_hash(bad.payload())
    assert "left out the e-mail address 'inkoop at slecht'" in caplog.text
    assert "1 invalid e-mail addresses left out" in caplog.text
    bad_rows = [row for row in log_rows(warehouse) if row[1] == "picqer:5003" and row[2] != "authenticate"]
    assert [(row[3], row[4]) for row in bad_rows] == [("POST", 201)]


def test_rejected_email_sent_again_without(
    warehouse: Path,
    optiply_config: OptiplyConfiguration,
    client: OptiplyClient,
    sandbox: Sandbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A quoted local part is valid address syntax, but Optiply (and the sandbox) rejects it.
    quoted = PlanRow("picqer:5003", "5003", "create", "Slecht Adres B.V.", ('"inkoop afdeling"@slecht.example',))
    create_warehouse(warehouse, [quoted])

    with caplog.at_level(logging.INFO):
        result = export_suppliers(warehouse, optiply_config, client=client)

    assert (result.created, result.failed) == (1, 0)
    assert result.payload_changes.emails_dropped_after_rejection == 1
    created = suppliers_with_remote_id(sandbox, OPTIPLY_COUPLING_ID, "5003")
    assert len(created) == 1
    assert created[0]["attributes"]["emails"] == []
    assert created[0]["attributes"]["name"] == "Slecht Adres B.V."
    assert links(warehouse)["picqer:5003"][2] == payload_hash(quoted.payload())
    assert pending(warehouse) == []
    assert "sending it again without them" in caplog.text
    rows = [row for row in log_rows(warehouse) if row[1] == "picqer:5003" and row[2] != "authenticate"]
    assert [(row[3], row[4]) for row in rows] == [("POST", 400), ("POST", 201)]


def test_rejected_post_clears_pending(
    warehouse: Path, optiply_config: OptiplyConfiguration, client: OptiplyClient, sandbox: Sandbox
) -> None:
    create_warehouse(warehouse, [])
    insert_plan_payload(warehouse, "picqer:5004", "5004", REJECTED_PAYLOAD)

    result = export_suppliers(warehouse, optiply_config, client=client)

    assert (result.created, result.failed) == (0, 1)
    assert "deliveryTime must be null or a whole number" in result.failures[0].error
    assert "picqer:5004" not in links(warehouse)
    assert pending(warehouse) == []  # a 400 means nothing was created
    assert suppliers_with_remote_id(sandbox, OPTIPLY_COUPLING_ID, "5004") == []
    rows = [row for row in log_rows(warehouse) if row[1] == "picqer:5004" and row[2] != "authenticate"]
    assert [(row[3], row[4]) for row in rows] == [("POST", 400)]
    assert "deliveryTime" in rows[0][6]


def test_dropped_post_reconciled_in_same_run(
    warehouse: Path, optiply_config: OptiplyConfiguration, client: OptiplyClient, sandbox: Sandbox
) -> None:
    create_warehouse(warehouse, [NEW_SUPPLIER])
    sandbox.optiply.faults.add("drop_after_commit", path_prefix="/v1/suppliers")

    result = export_suppliers(warehouse, optiply_config, client=client)

    assert (result.created, result.failed) == (1, 0)
    created = suppliers_with_remote_id(sandbox, OPTIPLY_COUPLING_ID, "5001")
    assert len(created) == 1
    assert links(warehouse)["picqer:5001"][0] == int(created[0]["id"])
    assert [request.method for request in writes(sandbox)] == ["POST"]
    actions = [(row[2], row[3]) for row in log_rows(warehouse) if row[2] != "authenticate"]
    assert actions == [("create", "POST"), ("reconcile", "GET")]


def test_dropped_post_reconciled_next_run(
    warehouse: Path, optiply_config: OptiplyConfiguration, client: OptiplyClient, sandbox: Sandbox
) -> None:
    create_warehouse(warehouse, [NEW_SUPPLIER])
    # The POST is stored but its reply is lost, and the lookup right after it fails too, as in an outage.
    sandbox.optiply.faults.add("drop_after_commit", path_prefix="/v1/suppliers")
    sandbox.optiply.faults.add("drop", path_prefix="/v1/suppliers", count=FAST_RETRIES.max_attempts)

    first = export_suppliers(warehouse, optiply_config, client=client)

    assert (first.created, first.failed) == (0, 1)
    assert pending(warehouse) == [("picqer:5001", "5001")]
    assert "picqer:5001" not in links(warehouse)

    second = export_suppliers(warehouse, optiply_config, client=client)

    assert (second.created, second.failed) == (1, 0)
    created = suppliers_with_remote_id(sandbox, OPTIPLY_COUPLING_ID, "5001")
    assert len(created) == 1
    assert links(warehouse)["picqer:5001"][0] == int(created[0]["id"])
    assert links(warehouse)["picqer:5001"][3] == "created"
    assert [request.method for request in writes(sandbox)] == ["POST"]
    assert pending(warehouse) == []


def test_uncommitted_post_sent_again_next_run(
    warehouse: Path, optiply_config: OptiplyConfiguration, client: OptiplyClient, sandbox: Sandbox
) -> None:
    create_warehouse(warehouse, [NEW_SUPPLIER])
    sandbox.optiply.faults.add("drop", path_prefix="/v1/suppliers")

    first = export_suppliers(warehouse, optiply_config, client=client)

    assert (first.created, first.failed) == (0, 1)
    assert "may or may not have been applied" in first.failures[0].error
    assert suppliers_with_remote_id(sandbox, OPTIPLY_COUPLING_ID, "5001") == []
    assert pending(warehouse) == [("picqer:5001", "5001")]

    second = export_suppliers(warehouse, optiply_config, client=client)

    assert (second.created, second.failed) == (1, 0)
    assert len(suppliers_with_remote_id(sandbox, OPTIPLY_COUPLING_ID, "5001")) == 1
    assert [request.method for request in writes(sandbox)] == ["POST", "POST"]
    assert pending(warehouse) == []


def test_auth_failure_stops_run(
    warehouse: Path, optiply_config: OptiplyConfiguration, sandbox: Sandbox
) -> None:
    create_warehouse(warehouse, [NEW_SUPPLIER, SECOND_NEW_SUPPLIER])
    optiply_config.account_id = 2  # the sandbox returns 403 for any other account

    with OptiplyClient(optiply_config, retry_policy=FAST_RETRIES) as other_account:
        with pytest.raises(OptiplyAuthError) as raised:
            export_suppliers(warehouse, optiply_config, client=other_account)

    assert raised.value.status_code == 403
    assert len(writes(sandbox)) == 1  # the second supplier was never sent
    rows = [row for row in log_rows(warehouse) if row[2] == "create"]
    assert [(row[1], row[4]) for row in rows] == [("picqer:5001", 403)]
    assert "No access to account 2" in rows[0][6]
    assert links(warehouse) == {}


def test_dry_run_sends_nothing(
    warehouse: Path, optiply_config: OptiplyConfiguration, sandbox: Sandbox
) -> None:
    create_warehouse(warehouse, [NEW_SUPPLIER, ADOPTED_SUPPLIER])

    result = export_suppliers(warehouse, optiply_config, dry_run=True)

    assert result.dry_run
    assert (result.created, result.adopted, result.updated, result.unchanged) == (1, 1, 0, 0)
    assert [item.supplier_key for item in result.plan] == ["picqer:1294", "picqer:5001"]
    assert sandbox.optiply.requests == []
    assert log_rows(warehouse) == []
    assert links(warehouse) == {}
    text = format_plan(result)
    assert "create    picqer:5001" in text
    assert "1 to create, 1 to adopt, 0 to update, 0 to ignore, 0 unchanged" in text


def test_no_secret_in_log_table_or_logs(
    warehouse: Path,
    optiply_config: OptiplyConfiguration,
    sandbox: Sandbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    create_warehouse(warehouse, [NEW_SUPPLIER, ADOPTED_SUPPLIER])
    insert_plan_payload(warehouse, "picqer:5004", "5004", REJECTED_PAYLOAD)
    sandbox.optiply.faults.add("rate_limit", path_prefix="/v1/suppliers", retry_after=0)
    sandbox.optiply.faults.add("drop_after_commit", path_prefix="/v1/suppliers")

    with OptiplyClient(optiply_config, retry_policy=FAST_RETRIES) as traced:
        traced_result = export_suppliers(warehouse, optiply_config, client=traced)
        token = traced._tokens.token()  # the cached token, read without a new request

    assert traced_result.failed == 1
    stored = " ".join(str(value) for row in log_rows(warehouse) for value in row)
    for secret in (OPTIPLY_CLIENT_ID, OPTIPLY_CLIENT_SECRET, OPTIPLY_USERNAME, OPTIPLY_PASSWORD, token):
        assert secret not in stored
        assert secret not in caplog.text
    assert "Export run" in caplog.text


def test_missing_plan_is_clear_error(warehouse: Path, optiply_config: OptiplyConfiguration) -> None:
    create_warehouse(warehouse, [])
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("drop table analytics.optiply_supplier_export")

    with pytest.raises(PlanError, match="Run the dbt transform first"):
        export_suppliers(warehouse, optiply_config)


def test_missing_sync_tables_is_clear_error(warehouse: Path, optiply_config: OptiplyConfiguration) -> None:
    create_warehouse(warehouse, [NEW_SUPPLIER])
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("drop table optiply_sync.export_log")

    with pytest.raises(SyncTablesMissingError, match="optiply_sync.export_log"):
        export_suppliers(warehouse, optiply_config)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (PlanRow("k1", "1", "delete", "A"), "unknown export_action 'delete'"),
        (PlanRow("k2", "2", "update", "B"), "has no optiply_supplier_id"),
        (PlanRow("k3", "3", "create", "C", optiply_supplier_id=7), "already has an optiply_supplier_id"),
        (PlanRow("k4", "4", "adopt", "D", optiply_supplier_id=90001, adopted_by="guess"), "unknown adopted_by"),
        (PlanRow("k5", "5", "create", ""), "payload without a name"),
    ],
)
def test_invalid_plan_row_rejected(
    warehouse: Path, optiply_config: OptiplyConfiguration, sandbox: Sandbox, row: PlanRow, message: str
) -> None:
    create_warehouse(warehouse, [row])

    with pytest.raises(PlanError, match=message):
        export_suppliers(warehouse, optiply_config)

    assert sandbox.optiply.requests == []


def test_locked_warehouse_is_clear_error(warehouse: Path, optiply_config: OptiplyConfiguration) -> None:
    create_warehouse(warehouse, [NEW_SUPPLIER])
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys; c = duckdb.connect({str(warehouse)!r}); print('open', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(WarehouseBusyError, match="open for writing in another process"):
            export_suppliers(warehouse, optiply_config)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait()
