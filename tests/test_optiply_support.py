"""Shared set-up for the Optiply tests: a running sandbox, its configuration, a fast client and a warehouse.

The tables that dbt creates are made here without running dbt: `optiply_sync.*` from the same macro as dbt's
on-run-start hook, the export plan as a table with the documented columns.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

import duckdb
import pytest

from pipelines.config import OptiplyConfiguration, resolve_optiply_configuration
from pipelines.optiply import OptiplyClient, RetryPolicy
from pipelines.sandbox import SAMPLE_DIR, Sandbox
from pipelines.transform import PROJECT_DIR

# Short delays keep the retry tests quick; the number of attempts is the production default.
FAST_RETRIES = RetryPolicy(max_attempts=5, initial_delay=0.01, max_delay=0.05, max_retry_after=5.0)
# Short enough that a `slow` fault of a few seconds ends in a read timeout.
SHORT_TIMEOUT = (2.0, 1.0)


def sync_tables_ddl() -> str:
    """Return the body of the dbt macro that creates `optiply_sync`, the only definition of those tables.

    The macro body is plain SQL, so running it here gives the exporter the same keys and checks as in production.
    """
    macro = (PROJECT_DIR / "macros" / "create_sync_tables.sql").read_text(encoding="utf-8")
    match = re.search(r"{% macro create_sync_tables\(\) %}(.*){% endmacro %}", macro, re.DOTALL)
    assert match is not None, "macros/create_sync_tables.sql no longer defines create_sync_tables()"
    return match.group(1)


PLAN_DDL = """
create schema if not exists analytics;
create or replace table analytics.optiply_supplier_export (
    supplier_key text,
    remote_id text,
    export_action text,
    optiply_supplier_id bigint,
    adopted_by text,
    payload text,
    payload_hash text,
    replaces_supplier_key text
);
"""


@dataclass(frozen=True)
class PlanRow:
    supplier_key: str
    remote_id: Optional[str]
    export_action: str
    name: str
    emails: tuple[str, ...] = ()
    optiply_supplier_id: Optional[int] = None
    adopted_by: Optional[str] = None
    ignored: bool = False
    replaces_supplier_key: Optional[str] = None

    def payload(self) -> dict[str, Any]:
        return {"name": self.name, "emails": list(self.emails), "remoteId": self.remote_id, "ignored": self.ignored}


def payload_text(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


def payload_hash(payload: dict[str, Any]) -> str:
    return hashlib.md5(payload_text(payload).encode("utf-8")).hexdigest()


def create_warehouse(path: Path, rows: list[PlanRow]) -> Path:
    """Create the sync tables and write `rows` as the export plan."""
    with duckdb.connect(str(path)) as connection:
        connection.execute(sync_tables_ddl())
        write_plan(connection, rows)
    return path


def write_plan(connection: duckdb.DuckDBPyConnection, rows: list[PlanRow]) -> None:
    connection.execute(PLAN_DDL)
    for row in rows:
        payload = row.payload()
        connection.execute(
            "insert into analytics.optiply_supplier_export values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                row.supplier_key,
                row.remote_id,
                row.export_action,
                row.optiply_supplier_id,
                row.adopted_by,
                payload_text(payload),
                payload_hash(payload),
                row.replaces_supplier_key,
            ],
        )


def insert_plan_payload(path: Path, supplier_key: str, remote_id: str, payload: dict[str, Any]) -> None:
    """Add a `create` row with any payload, such as one with attributes that Optiply rejects."""
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            "insert into analytics.optiply_supplier_export values (?, ?, 'create', null, null, ?, ?, null)",
            [supplier_key, remote_id, payload_text(payload), payload_hash(payload)],
        )


def replan_from_links(path: Path, rows: list[PlanRow]) -> None:
    """Rewrite the plan as dbt does on the next run: linked suppliers whose payload is unchanged need nothing."""
    with duckdb.connect(str(path)) as connection:
        links = {
            key: (optiply_id, sent_hash)
            for key, optiply_id, sent_hash in connection.execute(
                "select supplier_key, optiply_supplier_id, payload_hash from optiply_sync.supplier_links"
            ).fetchall()
        }
        replanned = []
        for row in rows:
            if row.supplier_key not in links:
                replanned.append(row)
                continue
            optiply_id, sent_hash = links[row.supplier_key]
            action = "unchanged" if sent_hash == payload_hash(row.payload()) else "update"
            replanned.append(
                PlanRow(
                    row.supplier_key,
                    row.remote_id,
                    action,
                    row.name,
                    row.emails,
                    optiply_supplier_id=optiply_id,
                    ignored=row.ignored,
                )
            )
        write_plan(connection, replanned)


def query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    with Sandbox(data_dir=SAMPLE_DIR) as running:
        yield running


@pytest.fixture
def optiply_config(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> OptiplyConfiguration:
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, str(value))
    return resolve_optiply_configuration()


@pytest.fixture
def client(optiply_config: OptiplyConfiguration) -> Iterator[OptiplyClient]:
    with OptiplyClient(optiply_config, retry_policy=FAST_RETRIES, timeout=SHORT_TIMEOUT) as fast_client:
        yield fast_client


def writes(sandbox: Sandbox) -> list[Any]:
    """Return the POST and PATCH requests that reached the supplier endpoints."""
    return [
        request
        for request in sandbox.optiply.requests
        if request.method in ("POST", "PATCH") and request.path.startswith("/v1/suppliers")
    ]


def token_requests(sandbox: Sandbox) -> list[Any]:
    return [request for request in sandbox.optiply.requests if request.path.endswith("/oauth/token")]


def suppliers_with_remote_id(sandbox: Sandbox, coupling_id: int, remote_id: str) -> list[dict[str, Any]]:
    return [
        supplier
        for supplier in sandbox.optiply.suppliers()
        if (supplier["attributes"].get("remoteIdMap") or {}).get(str(coupling_id)) == remote_id
    ]
