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
# The account's suppliers as last read by the `optiply` dlt pipeline.
OPTIPLY_RAW_SUPPLIERS = "optiply_raw.suppliers"

LinkOrigin = Literal["created", "adopted_by_remote_id", "adopted_by_name", "relinked"]


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
    request_number: int


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
        log_columns = {
            row[0]
            for row in self._connection.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
                [SYNC_SCHEMA, "export_log"],
            ).fetchall()
        }
        if "request_number" not in log_columns:
            raise SyncTablesMissingError(
                f"{LOG_TABLE} has no column request_number yet. "
                "Run the dbt transform first: its on-run-start hook adds it."
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

    def clear_settled_pending_creates(self) -> int:
        """Delete pending creates whose supplier got a link after the POST, and return how many.

        A crash between writing the link and deleting the pending row leaves such a row behind. The link proves
        that the POST's outcome was recorded, so the row needs no lookup.
        """
        try:
            row = self._connection.execute(
                f"""
                delete from {PENDING_TABLE}
                where supplier_key in (
                    select pending.supplier_key
                    from {PENDING_TABLE} as pending
                    inner join {LINKS_TABLE} as links
                        on pending.supplier_key = links.supplier_key
                    where links.linked_at >= pending.intended_at
                )
                returning supplier_key
                """
            ).fetchall()
        except duckdb.CatalogException:
            return 0
        return len(row)

    def clear_pending_create(self, supplier_key: str) -> None:
        self._connection.execute(f"delete from {PENDING_TABLE} where supplier_key = ?", [supplier_key])

    def link_origin(self, supplier_key: str) -> Optional[str]:
        row = self._connection.execute(
            f"select link_origin from {LINKS_TABLE} where supplier_key = ?", [supplier_key]
        ).fetchone()
        return None if row is None else row[0]

    def link_of(self, supplier_key: str) -> Optional[tuple[int, str]]:
        """Return the linked Optiply id and the hash last sent for `supplier_key`, or None without a link."""
        row = self._connection.execute(
            f"select optiply_supplier_id, payload_hash from {LINKS_TABLE} where supplier_key = ?", [supplier_key]
        ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def is_link_stale(self, supplier_key: str) -> bool:
        """Return whether the link of `supplier_key` points to a supplier deleted in Optiply.

        The rule is the export plan's: the linked supplier was missing from a read of Optiply (optiply_raw)
        made after the link was written. Without such a read, no link is stale.
        """
        try:
            row = self._connection.execute(
                f"""
                select count(*)
                from {LINKS_TABLE} as links
                where
                    links.supplier_key = ?
                    and links.optiply_supplier_id not in (select id from {OPTIPLY_RAW_SUPPLIERS})
                    and links.linked_at < (
                        select max(to_timestamp(cast(_dlt_load_id as double))) from {OPTIPLY_RAW_SUPPLIERS}
                    )
                """,
                [supplier_key],
            ).fetchone()
        except duckdb.CatalogException:
            return False
        return bool(row and row[0])

    def upsert_link(
        self,
        supplier_key: str,
        optiply_supplier_id: int,
        remote_id: Optional[str],
        payload_hash: str,
        link_origin: Optional[LinkOrigin],
        replaces_supplier_key: Optional[str] = None,
    ) -> None:
        """Record that `supplier_key` is Optiply supplier `optiply_supplier_id`, last sent with `payload_hash`.

        With `link_origin` None, an existing link keeps its origin and linked_at; only what was sent changes.
        The link of `replaces_supplier_key` is removed in the same transaction, because its Optiply supplier now
        belongs to `supplier_key`.
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
            if replaces_supplier_key is not None:
                self._connection.execute(
                    f"delete from {LINKS_TABLE} where supplier_key = ?", [replaces_supplier_key]
                )
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
                (
                    run_id, logged_at, supplier_key, action, method, status_code, optiply_supplier_id, error,
                    attempt, request_number
                )
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
                    entry.request_number,
                ]
                for entry in entries
            ],
        )


def _now() -> datetime:
    return datetime.now(timezone.utc)
