"""The Optiply export under crashes, faults, races and changes, each ending in an exact comparison of Optiply.

A module fixture extracts and transforms the sample account once into a template warehouse, and exports a copy
of it to a fault-free sandbox: that sandbox's suppliers are the reference state. Each test starts a fresh sandbox,
copies the template, disturbs the export, and compares Optiply's suppliers with the reference, as a multiset of
(name, remote id under our coupling, e-mail addresses, ignored, created through the API).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pytest

from pipelines.config import resolve_optiply_configuration
from pipelines.optiply import OptiplyAuthError, OptiplyClient, OptiplyExportStoppedError, export_suppliers
from pipelines.sandbox import SAMPLE_DIR, Sandbox
from pipelines.sandbox.credentials import OPTIPLY_COUPLING_ID
from test_optiply_support import FAST_RETRIES, SHORT_TIMEOUT

REPOSITORY = Path(__file__).resolve().parents[1]
COMMAND = str(Path(sys.executable).with_name("picqer-optiply"))
SAMPLE_OPTIPLY = json.loads((SAMPLE_DIR / "optiply" / "suppliers.json").read_text(encoding="utf-8"))["data"]
SAMPLE_ORDERS = json.loads((SAMPLE_DIR / "picqer" / "purchaseorders.json").read_text(encoding="utf-8"))
HAND_MADE = next(s for s in SAMPLE_OPTIPLY if not s["attributes"]["createdFromPublicApi"])
# Bounds the wait for a background export to reach a point; a test fails rather than hangs past it.
WAIT_LIMIT_SECONDS = 120.0

State = Counter[tuple[Any, ...]]


def run_command(arguments: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COMMAND, *arguments], cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def start_command(arguments: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen([COMMAND, *arguments], cwd=REPOSITORY, env=env, stdout=output, stderr=output)


def optiply_state(sandbox: Sandbox) -> State:
    coupling = str(OPTIPLY_COUPLING_ID)
    return Counter(
        (
            supplier["attributes"]["name"],
            (supplier["attributes"].get("remoteIdMap") or {}).get(coupling),
            tuple(supplier["attributes"].get("emails") or ()),
            supplier["attributes"].get("ignored"),
            supplier["attributes"].get("createdFromPublicApi"),
        )
        for supplier in sandbox.optiply.suppliers()
    )


def supplier_writes(sandbox: Sandbox) -> list[str]:
    return [
        f"{request.method} {request.path}"
        for request in sandbox.optiply.requests
        if request.method in ("POST", "PATCH") and request.path.startswith("/v1/suppliers")
    ]


def query(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def wait_for_posts(sandbox: Sandbox, count: int) -> None:
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while len([w for w in supplier_writes(sandbox) if w.startswith("POST")]) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"the export did not reach {count} POSTs: {supplier_writes(sandbox)}")
        time.sleep(0.05)


def assert_links_match_optiply(warehouse: Path, sandbox: Sandbox) -> None:
    """Every link points to an existing Optiply supplier with the link's remote id, one link per supplier."""
    links = query(warehouse, "select supplier_key, optiply_supplier_id, remote_id from optiply_sync.supplier_links")
    by_id = {supplier["id"]: supplier for supplier in sandbox.optiply.suppliers()}
    assert len({optiply_id for _, optiply_id, _ in links}) == len(links)
    for supplier_key, optiply_id, remote_id in links:
        supplier = by_id.get(str(optiply_id))
        assert supplier is not None, f"{supplier_key} links to missing Optiply supplier {optiply_id}"
        assert supplier["attributes"]["remoteIdMap"][str(OPTIPLY_COUPLING_ID)] == remote_id


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, State, int]]:
    """A warehouse extracted and transformed from the sample, the reference Optiply state, and the plan size."""
    folder = tmp_path_factory.mktemp("template")
    warehouse = folder / "warehouse.duckdb"
    with Sandbox(data_dir=SAMPLE_DIR) as sandbox:
        env = {**os.environ, **sandbox.env(), "WAREHOUSE__PATH": str(warehouse)}
        for step in (["extract"], ["transform"]):
            completed = run_command(step, env)
            assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
        reference_copy = folder / "reference.duckdb"
        shutil.copy(warehouse, reference_copy)
        completed = run_command(["export"], {**env, "WAREHOUSE__PATH": str(reference_copy)})
        assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
        reference = optiply_state(sandbox)
    plan_size = query(warehouse, "select count(*) from analytics.optiply_supplier_export")[0][0]
    yield warehouse, reference, plan_size


@pytest.fixture
def job(template: tuple[Path, State, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A fresh sandbox, a copy of the template warehouse, and the environment that points the command at both."""
    source, reference, plan_size = template
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(source, warehouse)
    with Sandbox(data_dir=SAMPLE_DIR, optiply_state_file=tmp_path / "optiply.json") as sandbox:
        env = {**os.environ, **sandbox.env(), "WAREHOUSE__PATH": str(warehouse)}
        for name, value in sandbox.env().items():
            monkeypatch.setenv(name, value)
        yield sandbox, env, warehouse, reference, plan_size


def export_in_process(warehouse: Path):
    config = resolve_optiply_configuration()
    with OptiplyClient(config, retry_policy=FAST_RETRIES, timeout=SHORT_TIMEOUT) as client:
        return export_suppliers(warehouse, config, client=client)


def test_reference_has_one_supplier_per_plan_row(template: tuple[Path, State, int]) -> None:
    _, reference, plan_size = template
    ours = sum(count for key, count in reference.items() if key[1] is not None)
    # Every plan row is one supplier under our coupling; the sample's one earlier duplicate stays as it was.
    assert plan_size > 40
    assert ours >= plan_size
    assert reference[
        (
            HAND_MADE["attributes"]["name"],
            None,
            tuple(HAND_MADE["attributes"]["emails"]),
            HAND_MADE["attributes"]["ignored"],
            False,
        )
    ] == 1


def test_sigkill_mid_export_then_rerun(job, tmp_path: Path) -> None:
    sandbox, env, warehouse, reference, plan_size = job
    sandbox.optiply.settings.latency_seconds = 0.15
    process = start_command(["export"], env, tmp_path / "killed.log")
    try:
        wait_for_posts(sandbox, 5)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert optiply_state(sandbox) != reference, "the kill came before the export finished"
    sandbox.optiply.settings.latency_seconds = 0.0

    completed = run_command(["export"], env)

    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert optiply_state(sandbox) == reference
    assert query(warehouse, "select count(*) from optiply_sync.supplier_links")[0][0] == plan_size
    assert query(warehouse, "select count(*) from optiply_sync.pending_supplier_creates")[0][0] == 0
    assert_links_match_optiply(warehouse, sandbox)


def test_sigkill_then_full_run_adopts(job, tmp_path: Path) -> None:
    sandbox, env, warehouse, reference, plan_size = job
    sandbox.optiply.settings.latency_seconds = 0.15
    process = start_command(["export"], env, tmp_path / "killed.log")
    try:
        wait_for_posts(sandbox, 3)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    sandbox.optiply.settings.latency_seconds = 0.0

    completed = run_command(["run"], env)

    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert optiply_state(sandbox) == reference
    assert query(warehouse, "select count(*) from optiply_sync.supplier_links")[0][0] == plan_size
    assert query(warehouse, "select count(*) from optiply_sync.pending_supplier_creates")[0][0] == 0


def test_dropped_replies_after_commit(job) -> None:
    sandbox, _, warehouse, reference, plan_size = job
    sandbox.optiply.faults.add("drop_after_commit", path_prefix="/v1/suppliers", count=4)

    result = export_in_process(warehouse)

    assert result.failed == 0
    assert optiply_state(sandbox) == reference
    assert query(warehouse, "select count(*) from optiply_sync.supplier_links")[0][0] == plan_size
    reconciles = query(warehouse, "select count(*) from optiply_sync.export_log where action = 'reconcile'")[0][0]
    assert reconciles >= 1


FAULTS = pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("rate_limit", {"retry_after": 0}),
        ("rate_limit", {}),
        ("html_500", {}),
        ("status", {"status": 503}),
    ],
    ids=["429-retry-after", "429-no-header", "html-500", "503"],
)


@FAULTS
def test_transient_faults_retried_exact(job, kind: str, params: dict[str, Any]) -> None:
    sandbox, _, warehouse, reference, _ = job
    # Four in a row stays within the five attempts of one request.
    sandbox.optiply.faults.add(kind, path_prefix="/v1/suppliers", count=4, **params)

    result = export_in_process(warehouse)

    assert result.failed == 0
    assert sandbox.optiply.faults.pending() == []
    assert optiply_state(sandbox) == reference
    assert_links_match_optiply(warehouse, sandbox)
    statuses = {row[0] for row in query(warehouse, "select status_code from optiply_sync.export_log")}
    assert {429, 500, 503} & statuses


@FAULTS
def test_fault_storm_then_rerun_exact(job, kind: str, params: dict[str, Any]) -> None:
    sandbox, _, warehouse, reference, plan_size = job
    # Twelve in a row outlasts the retries of two requests and part of a third.
    sandbox.optiply.faults.add(kind, path_prefix="/v1/suppliers", count=12, **params)

    first = export_in_process(warehouse)

    assert first.failed == 2
    assert optiply_state(sandbox) != reference
    # A 429 means Optiply did not process the POST. After a 5xx it may have, so the POST stays pending and the
    # next run looks the supplier up before sending it again.
    expected_pending = 0 if kind == "rate_limit" else 2
    assert query(warehouse, "select count(*) from optiply_sync.pending_supplier_creates")[0][0] == expected_pending

    second = export_in_process(warehouse)

    assert second.failed == 0
    assert query(warehouse, "select count(*) from optiply_sync.pending_supplier_creates")[0][0] == 0
    assert second.created + second.adopted == 2
    assert optiply_state(sandbox) == reference
    assert query(warehouse, "select count(*) from optiply_sync.supplier_links")[0][0] == plan_size


def test_forbidden_stops_then_next_run_finishes(job, monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox, _, warehouse, reference, _ = job
    initial = optiply_state(sandbox)
    monkeypatch.setenv("OPTIPLY__ACCOUNT_ID", "999")

    with pytest.raises(OptiplyAuthError, match="HTTP 403"):
        export_in_process(warehouse)

    assert optiply_state(sandbox) == initial
    assert len(supplier_writes(sandbox)) == 1, "the run stopped at its first write"
    monkeypatch.undo()
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    result = export_in_process(warehouse)
    assert result.failed == 0
    assert optiply_state(sandbox) == reference


def test_wrong_password_stops_before_any_write(job) -> None:
    sandbox, env, warehouse, _, _ = job
    initial = optiply_state(sandbox)

    completed = run_command(["export"], {**env, "OPTIPLY__PASSWORD": "wrong"})

    assert completed.returncode != 0
    assert "check optiply.client_id, client_secret, username and password" in completed.stderr
    assert "wrong" not in completed.stderr.replace("wrong_password", "")
    assert supplier_writes(sandbox) == []
    assert optiply_state(sandbox) == initial


def test_persistent_404_stops_after_three(job, monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox, _, warehouse, reference, _ = job
    initial = optiply_state(sandbox)
    monkeypatch.setenv("OPTIPLY__API_URL", sandbox.optiply_api_url + "/wrong")

    with pytest.raises(OptiplyExportStoppedError, match="3 suppliers in a row with HTTP 404"):
        export_in_process(warehouse)

    assert optiply_state(sandbox) == initial
    assert query(warehouse, "select count(*) from optiply_sync.pending_supplier_creates")[0][0] == 0
    monkeypatch.setenv("OPTIPLY__API_URL", sandbox.optiply_api_url)
    assert export_in_process(warehouse).failed == 0
    assert optiply_state(sandbox) == reference


def test_second_export_refused_while_first_runs(job, tmp_path: Path) -> None:
    sandbox, env, warehouse, reference, _ = job
    sandbox.optiply.settings.latency_seconds = 0.1
    first = start_command(["export"], env, tmp_path / "first.log")
    try:
        wait_for_posts(sandbox, 1)
        second = run_command(["export"], env)
    finally:
        first.wait(timeout=300)

    assert second.returncode == 1
    assert "is open for writing in another process" in second.stderr
    assert first.returncode == 0, (tmp_path / "first.log").read_text()[-3000:]
    assert optiply_state(sandbox) == reference
    sandbox.optiply.requests.clear()

    again = run_command(["export"], env)

    assert again.returncode == 0, again.stderr[-3000:]
    assert supplier_writes(sandbox) == [], "nothing changed, so nothing is written"


def test_long_name_with_newline_cut_and_logged(job) -> None:
    sandbox, env, warehouse, _, _ = job
    order = copy.deepcopy(SAMPLE_ORDERS[0])
    order.update(
        idpurchaseorder=99001,
        idsupplier=None,
        supplier_name="Lange\nNaam " + "x" * 300,
        updated="2030-01-01 00:00:00",
    )
    for offset, line in enumerate(order.get("products") or []):
        line["idpurchaseorder_product"] = 9_900_000 + offset
    sandbox.picqer.upsert_purchase_order(order)

    completed = run_command(["run"], env)

    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "cut to Optiply's maximum of 255" in completed.stderr
    assert "1 names cut to 255 characters" in completed.stderr
    names = [s["attributes"]["name"] for s in sandbox.optiply.suppliers() if s["attributes"]["name"].startswith("Lange")]
    assert names == [("Lange Naam " + "x" * 300)[:255]]


def test_vanished_supplier_ignored_once_then_back(job) -> None:
    sandbox, env, warehouse, _, _ = job
    assert run_command(["run"], env).returncode == 0
    key = "name:holding-noord"
    order_ids = {row[0] for row in query(
        warehouse, f"select purchase_order_id from analytics.fct_purchase_orders where supplier_key = '{key}'"
    )}
    optiply_id = query(warehouse, f"select optiply_supplier_id from optiply_sync.supplier_links where supplier_key = '{key}'")[0][0]
    originals = [order for order in SAMPLE_ORDERS if order["idpurchaseorder"] in order_ids]
    assert len(originals) == len(order_ids) > 0
    before = {s["id"]: s for s in sandbox.optiply.suppliers()}
    for order in originals:
        moved = copy.deepcopy(order)
        moved.update(supplier_name="Euro Packaging Ltd", updated="2030-01-01 00:00:00")
        sandbox.picqer.upsert_purchase_order(moved)
    sandbox.optiply.requests.clear()

    completed = run_command(["run"], env)

    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert supplier_writes(sandbox) == [f"PATCH /v1/suppliers/{optiply_id}"]
    after = {s["id"]: s for s in sandbox.optiply.suppliers()}
    expected = copy.deepcopy(before)
    expected[str(optiply_id)]["attributes"]["ignored"] = True
    assert after == expected
    sandbox.optiply.requests.clear()

    assert run_command(["run"], env).returncode == 0
    assert supplier_writes(sandbox) == [], "ignored once, then unchanged"

    for order in originals:
        restored = copy.deepcopy(order)
        restored.update(updated="2030-01-02 00:00:00")
        sandbox.picqer.upsert_purchase_order(restored)
    completed = run_command(["run"], env)

    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert supplier_writes(sandbox) == [f"PATCH /v1/suppliers/{optiply_id}"]
    assert {s["id"]: s for s in sandbox.optiply.suppliers()} == before


def test_supplier_deleted_in_optiply_is_recreated(job) -> None:
    sandbox, env, warehouse, reference, _ = job
    assert run_command(["run"], env).returncode == 0
    key = "picqer:1246"
    optiply_id = query(warehouse, f"select optiply_supplier_id from optiply_sync.supplier_links where supplier_key = '{key}'")[0][0]
    with sandbox.optiply.lock:
        del sandbox.optiply._suppliers[int(optiply_id)]
    order = next(o for o in SAMPLE_ORDERS if o["idsupplier"] == 1246)
    changed = copy.deepcopy(order)
    changed.update(updated="2030-01-01 00:00:00")
    sandbox.picqer.upsert_purchase_order(changed)
    sandbox.optiply.requests.clear()

    completed = run_command(["run"], env)

    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert not any(w.startswith("PATCH") and w.endswith(f"/{optiply_id}") for w in supplier_writes(sandbox))
    assert supplier_writes(sandbox) == ["POST /v1/suppliers"]
    assert optiply_state(sandbox) == reference
    assert_links_match_optiply(warehouse, sandbox)


def test_export_log_models_summarise_run(job) -> None:
    sandbox, env, warehouse, _, plan_size = job
    sandbox.optiply.faults.add("rate_limit", path_prefix="/v1/suppliers", count=2, retry_after=0)
    assert run_command(["export"], env).returncode == 0
    assert run_command(["transform"], env).returncode == 0

    runs = query(
        warehouse,
        "select created_count + adopted_count, failed_count, transient_error_count, write_count "
        "from analytics.optiply_export_runs",
    )
    assert len(runs) == 1
    exported, failed, transient, write_count = runs[0]
    assert (exported, failed, transient) == (plan_size, 0, 2)
    assert write_count == plan_size + 2
