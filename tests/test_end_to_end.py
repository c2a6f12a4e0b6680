"""The whole job as a user runs it: the `picqer-optiply` command against the sandbox, then dbt from the root."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.sandbox import SAMPLE_DIR, Sandbox
from pipelines.sandbox.credentials import OPTIPLY_COUPLING_ID, picqer_scoped_key

REPOSITORY = Path(__file__).resolve().parents[1]
COMMAND = str(Path(sys.executable).with_name("picqer-optiply"))
SAMPLE_OPTIPLY = json.loads((SAMPLE_DIR / "optiply" / "suppliers.json").read_text(encoding="utf-8"))["data"]
HAND_MADE_ID = next(s["id"] for s in SAMPLE_OPTIPLY if not s["attributes"]["createdFromPublicApi"])
SYNCED_EARLIER = {
    s["attributes"]["remoteIdMap"][str(OPTIPLY_COUPLING_ID)]: s["id"]
    for s in SAMPLE_OPTIPLY
    if str(OPTIPLY_COUPLING_ID) in s["attributes"]["remoteIdMap"]
}
WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}


def run_command(arguments: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COMMAND, *arguments], cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def optiply_writes(sandbox: Sandbox) -> list[str]:
    """Return the requests that change suppliers; asking for a token is no write."""
    return [
        f"{r.method} {r.path}"
        for r in sandbox.optiply.requests
        if r.method in WRITE_METHODS and not r.path.endswith("/oauth/token")
    ]


@pytest.fixture
def job(tmp_path: Path):
    """A sandbox with persistent Optiply state, and the environment that points the command at it."""
    with Sandbox(data_dir=SAMPLE_DIR, optiply_state_file=tmp_path / "optiply.json") as sandbox:
        env = {**os.environ, **sandbox.env(), "WAREHOUSE__PATH": str(tmp_path / "warehouse.duckdb")}
        yield sandbox, env, tmp_path / "warehouse.duckdb"


def test_run_exports_one_optiply_supplier_per_dimension_row(job) -> None:
    sandbox, env, warehouse = job

    completed = run_command(["run"], env)

    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Summary" in completed.stdout
    assert str(warehouse) in completed.stdout
    dimension = {key for (key,) in query(warehouse, "select supplier_key from analytics.dim_suppliers")}
    links = dict(query(warehouse, "select supplier_key, optiply_supplier_id from optiply_sync.supplier_links"))
    assert set(links) == dimension
    assert "unknown" in dimension
    assert len(set(links.values())) == len(dimension), "one Optiply supplier per dimension row"

    in_optiply = {supplier["id"]: supplier for supplier in sandbox.optiply.suppliers()}
    assert set(in_optiply) == {str(i) for i in links.values()} | {HAND_MADE_ID}
    hand_made = next(s for s in SAMPLE_OPTIPLY if s["id"] == HAND_MADE_ID)
    assert in_optiply[HAND_MADE_ID] == hand_made
    assert not any(r.path.endswith(f"/{HAND_MADE_ID}") for r in sandbox.optiply.requests if r.method in WRITE_METHODS)
    for idsupplier, optiply_id in SYNCED_EARLIER.items():
        assert links[f"picqer:{idsupplier}"] == int(optiply_id), f"supplier {idsupplier} adopted, not created"


def test_second_run_writes_nothing_and_reads_incrementally(job) -> None:
    sandbox, env, warehouse = job
    assert run_command(["run"], env).returncode == 0
    sandbox.optiply.requests.clear()
    sandbox.picqer.requests.clear()

    completed = run_command(["run"], env)

    assert completed.returncode == 0, completed.stderr[-3000:]
    assert optiply_writes(sandbox) == []
    order_reads = [r for r in sandbox.picqer.requests if r.path == "/purchaseorders"]
    assert order_reads, "purchase orders were read"
    assert all("updated_after" in r.query for r in order_reads)
    assert len(order_reads) <= 3
    assert "incremental" in completed.stdout


def test_scoped_key_derives_every_supplier_from_names(job) -> None:
    sandbox, env, warehouse = job
    env = {**env, "SOURCES__PICQER__API_KEY": picqer_scoped_key(12)}

    completed = run_command(["run"], env)

    assert completed.returncode == 0, completed.stderr[-3000:]
    assert [r.path for r in sandbox.picqer.requests].count("/suppliers") == 1, "only the probe"
    assert not any(r.path.startswith("/suppliers/") for r in sandbox.picqer.requests)
    sources = {source for (source,) in query(warehouse, "select distinct supplier_source from analytics.dim_suppliers")}
    assert sources <= {"purchase_order_name", "unknown"}
    assert "purchase_order_name" in sources
    clients = query(warehouse, "select distinct fulfilment_customer_id from analytics.fct_purchase_orders")
    assert clients == [(12,)]


def test_dbt_build_from_repository_root_after_extract(job) -> None:
    _, env, warehouse = job
    assert run_command(["extract"], env).returncode == 0

    dbt = str(Path(sys.executable).with_name("dbt"))
    completed = subprocess.run(
        [dbt, "build"], cwd=REPOSITORY, env={**env, "WAREHOUSE__PATH": str(warehouse)},
        capture_output=True, text=True, timeout=600, check=False,
    )

    assert completed.returncode == 0, completed.stdout[-3000:]
    assert query(warehouse, "select count(*) from analytics.fct_purchase_orders")[0][0] > 0


def test_export_dry_run_sends_nothing(job) -> None:
    sandbox, env, _ = job
    assert run_command(["extract"], env).returncode == 0
    assert run_command(["transform"], env).returncode == 0
    sandbox.optiply.requests.clear()

    completed = run_command(["export", "--dry-run"], env)

    assert completed.returncode == 0, completed.stderr[-3000:]
    assert optiply_writes(sandbox) == []
    assert "create" in completed.stdout


def test_secrets_stay_out_of_output_and_artifacts(job) -> None:
    sandbox, env, warehouse = job
    completed = run_command(["run"], env)
    assert completed.returncode == 0

    secrets = [env[name] for name in ("SOURCES__PICQER__API_KEY", "OPTIPLY__CLIENT_SECRET", "OPTIPLY__PASSWORD")]
    for secret in secrets:
        assert secret not in completed.stdout
        assert secret not in completed.stderr
    for folder in (REPOSITORY / "target", REPOSITORY / "logs"):
        for path in folder.rglob("*") if folder.exists() else []:
            if path.is_file():
                text = path.read_text(encoding="utf-8", errors="ignore")
                assert not any(secret in text for secret in secrets), f"a secret is in {path}"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        for schema, table in connection.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'"
        ).fetchall():
            dump = str(connection.execute(f'select * from "{schema}"."{table}"').fetchall())
            assert not any(secret in dump for secret in secrets), f"a secret is in {schema}.{table}"


def test_invalid_configuration_exits_with_status_2(job) -> None:
    _, env, _ = job
    env = {**env, "SOURCES__PICQER__BASE_URL": "http://picqer.example.com/api/v1"}

    completed = run_command(["extract"], env)

    assert completed.returncode == 2
    assert "sources.picqer.base_url" in completed.stderr


def test_mistyped_setting_exits_2(job) -> None:
    _, env, _ = job
    env = {**env, "SOURCES__PICQER__FULFILMENT_CUSTOMER_ID": "abc"}

    completed = run_command(["extract"], env)

    assert completed.returncode == 2
    assert "sources.picqer.fulfilment_customer_id must be a whole number" in completed.stderr
    assert "SOURCES__PICQER__FULFILMENT_CUSTOMER_ID" in completed.stderr
    assert "abc" not in completed.stderr
    assert "Traceback" not in completed.stderr


def test_missing_optiply_setting_stops_before_any_picqer_request(job) -> None:
    sandbox, env, warehouse = job
    env = {name: value for name, value in env.items() if name != "OPTIPLY__CLIENT_SECRET"}
    sandbox.picqer.requests.clear()

    completed = run_command(["run"], env)

    assert completed.returncode == 2
    assert "client_secret" in completed.stderr
    assert sandbox.picqer.requests == []
    assert not warehouse.exists()
