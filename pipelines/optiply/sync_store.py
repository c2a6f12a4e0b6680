"""The exporter's bookkeeping in `optiply_sync`: links to Optiply ids, pending creates and the request log.

`supplier_links` and `export_log` are created by dbt's on-run-start hook, because the export plan reads the links.
`pending_supplier_creates` belongs to the exporter alone, so it creates that table itself. A row is written before
each POST and deleted once the reply is recorded or Optiply rejected the POST. A row left behind means Optiply may
have created the supplier without the link being written, so the next run looks for the supplier by remote id
before it sends the POST again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal, Optional

import duckdb

from pipelines.warehouse import SYNC_SCHEMA

LINKS_TABLE = f"{SYNC_SCHEMA}.supplier_links"
LOG_TABLE = f"{SYNC_SCHEMA}.export_log"
PENDING_TABLE = f"{SYNC_SCHEMA}.pending_supplier_creates"

LinkOrigin = Literal["created", "adopted_by_remote_id", "adopted_by_name"]


class SyncTablesMissingError(RuntimeError):
    """The `optiply_sync` tables that dbt creates are not in the warehouse yet."""


@dataclass(frozen=True)
class PendingCreate:
    """A POST that may have reached Optiply without its link being recorded."""

    supplier_key: str
    remote_id: Optional[str]
    name: str
    payload_hash: str
    run_id: str
    intended_at: datetime


@dataclass(frozen=True)
class LogEntry:
    """One row of `export_log`: one HTTP request and its outcome."""

    supplier_key: Optional[str]
    action: str
    method: str
    status_code: Optional[int]
    optiply_supplier_id: Optional[int]
    error: Optional[str]
    attempt: int


class SyncStore:
    """Reads and writes the `optiply_sync` tables; each write is committed before the method returns."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._connection = connection

    def check_tables(self) -> None:
        """Raise SyncTablesMissingError unless dbt has created the link and log tables."""
        found = {
            row[0]
            for row in self._connection.execute(
                "select table_name from information_schema.tables where table_schema = ?", [SYNC_SCHEMA]
            ).fetchall()
        }
        missing = sorted({"supplier_links", "export_log"} - found)
        if missing:
            raise SyncTablesMissingError(
                f"The warehouse has no {', '.join(f'{SYNC_SCHEMA}.{name}' for name in missing)}. "
                "Run the dbt transform first: its on-run-start hook creates them."
            )

    def create_pending_table(self) -> None:
        self._connection.execute(
            f"""
            create table if not exists {PENDING_TABLE} (
                supplier_key text primary key,
                remote_id text,
                name text not null,
                payload_hash text not null,
                run_id text not null,
                intended_at timestamptz not null
            )
            """
        )

    def pending_creates(self) -> dict[str, PendingCreate]:
        """Return the pending creates by supplier key; an empty dict when the table does not exist yet."""
        try:
            rows = self._connection.execute(
                f"select supplier_key, remote_id, name, payload_hash, run_id, intended_at from {PENDING_TABLE}"
            ).fetchall()
        except duckdb.CatalogException:
            return {}
        return {row[0]: PendingCreate(*row) for row in rows}

    def record_pending_create(
        self, supplier_key: str, remote_id: Optional[str], name: str, payload_hash: str, run_id: str
    ) -> None:
        self._connection.execute(
            f"""
            insert or replace into {PENDING_TABLE} (supplier_key, remote_id, name, payload_hash, run_id, intended_at)
            values (?, ?, ?, ?, ?, ?)
            """,
            [supplier_key, remote_id, name, payload_hash, run_id, _now()],
        )

    def clear_pending_create(self, supplier_key: str) -> None:
        self._connection.execute(f"delete from {PENDING_TABLE} where supplier_key = ?", [supplier_key])

    def link_origin(self, supplier_key: str) -> Optional[str]:
        row = self._connection.execute(
            f"select link_origin from {LINKS_TABLE} where supplier_key = ?", [supplier_key]
        ).fetchone()
        return None if row is None else row[0]

    def upsert_link(
        self,
        supplier_key: str,
        optiply_supplier_id: int,
        remote_id: Optional[str],
        payload_hash: str,
        link_origin: Optional[LinkOrigin],
    ) -> None:
        """Record that `supplier_key` is Optiply supplier `optiply_supplier_id`, last sent with `payload_hash`.

        With `link_origin` None, an existing link keeps its origin and linked_at; only what was sent changes.
        """
        now = _now()
        self._connection.execute("begin transaction")
        try:
            existing = self._connection.execute(
                f"select link_origin, linked_at from {LINKS_TABLE} where supplier_key = ?", [supplier_key]
            ).fetchone()
            if link_origin is None:
                if existing is None:
                    raise ValueError(f"Supplier {supplier_key!r} has no link to keep the origin of.")
                origin, linked_at = existing[0], existing[1]
            else:
                origin, linked_at = link_origin, now
            # Delete and insert instead of `on conflict`, because dbt's DDL for this table need not declare a key.
            self._connection.execute(f"delete from {LINKS_TABLE} where supplier_key = ?", [supplier_key])
            self._connection.execute(
                f"""
                insert into {LINKS_TABLE}
                    (supplier_key, optiply_supplier_id, remote_id, payload_hash, link_origin, linked_at, sent_at)
                values (?, ?, ?, ?, ?, ?, ?)
                """,
                [supplier_key, optiply_supplier_id, remote_id, payload_hash, origin, linked_at, now],
            )
            self._connection.execute("commit")
        except BaseException:
            self._connection.execute("rollback")
            raise

    def append_log(self, run_id: str, entries: list[LogEntry]) -> None:
        if not entries:
            return
        now = _now()
        self._connection.executemany(
            f"""
            insert into {LOG_TABLE}
                (run_id, logged_at, supplier_key, action, method, status_code, optiply_supplier_id, error, attempt)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                [
                    run_id,
                    now,
                    entry.supplier_key,
                    entry.action,
                    entry.method,
                    entry.status_code,
                    entry.optiply_supplier_id,
                    entry.error,
                    entry.attempt,
                ]
                for entry in entries
            ],
        )


def _now() -> datetime:
    return datetime.now(timezone.utc)
