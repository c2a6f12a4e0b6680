"""Detect whether the Picqer API key is an admin (unscoped) key or one scoped to a fulfilment client."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import duckdb

from pipelines.picqer.client import PicqerClient, Row
from pipelines.picqer.settings import SUPPLIERS_PATH
from pipelines.warehouse import connect

logger = logging.getLogger(__name__)

KEY_CHANGE_EXIT_STATUS = 3
AUDIT_SCHEMA = "picqer_audit"
REFUSED_CHANGES_TABLE = f"{AUDIT_SCHEMA}.refused_key_changes"


class KeyKind(str, enum.Enum):
    ADMIN = "admin"
    SCOPED = "scoped"


@dataclass(frozen=True)
class KeyProbe:
    kind: KeyKind
    suppliers_status: int
    first_supplier_page: Optional[list[Row]]
    """The first page of active suppliers when the key can read them, reused by the extract."""


class KeyKindChangedError(RuntimeError):
    """The key kind differs from the one the warehouse was loaded with, and the change was not accepted."""

    exit_status = KEY_CHANGE_EXIT_STATUS


def probe_key_kind(client: PicqerClient) -> KeyProbe:
    """Read the first page of `/suppliers`: a list means an admin key, 401 or 403 a scoped key.

    Picqer does not document which of the two a scoped key gets, so both count. A revoked key also gets 401 here.
    The extract distinguishes it because a revoked key is rejected on purchase orders too.
    """
    response = client.get(SUPPLIERS_PATH, {"offset": 0})
    if response.rows is not None:
        kind = KeyKind.ADMIN
    elif response.status_code in (401, 403):
        kind = KeyKind.SCOPED
    else:
        raise client.error_for(SUPPLIERS_PATH, response)
    # A 401 may still come from a revoked key, which the extract detects next, so no kind is logged here.
    logger.info("Picqer key probe on %s: HTTP %d", SUPPLIERS_PATH, response.status_code)
    return KeyProbe(kind, response.status_code, response.rows)


@dataclass(frozen=True)
class PreviousProbe:
    kind: KeyKind
    fulfilment_customer_id: Optional[int]


def previous_probe(warehouse: Path) -> Optional[PreviousProbe]:
    """Return the key kind and client of the last recorded run of this warehouse, or None before its first run."""
    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        exists = connection.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'picqer_raw' and table_name = 'key_probes'"
        ).fetchone()
        if not exists or not exists[0]:
            return None
        row = connection.execute(
            "select key_kind, fulfilment_customer_id from picqer_raw.key_probes order by probed_at desc limit 1"
        ).fetchone()
    return PreviousProbe(KeyKind(row[0]), row[1]) if row else None


def record_refused_change(
    warehouse: Path, previous: PreviousProbe, detected: KeyKind, fulfilment_customer_id: Optional[int], host: str
) -> None:
    """Write a refused run to `picqer_audit.refused_key_changes`, so that every run leaves its key kind behind.

    The row goes to a table of its own, written without dlt: the key probes, the dlt state and the data stay as
    the last accepted run left them, and the next run still compares with that run's key kind.
    """
    with connect(warehouse) as connection:
        connection.execute(f"create schema if not exists {AUDIT_SCHEMA}")
        connection.execute(
            f"""
            create table if not exists {REFUSED_CHANGES_TABLE} (
                refused_at timestamptz not null,
                previous_key_kind varchar not null,
                detected_key_kind varchar not null,
                previous_fulfilment_customer_id bigint,
                fulfilment_customer_id bigint,
                picqer_host varchar not null
            )
            """
        )
        connection.execute(
            f"insert into {REFUSED_CHANGES_TABLE} values (now(), ?, ?, ?, ?, ?)",
            [previous.kind.value, detected.value, previous.fulfilment_customer_id, fulfilment_customer_id, host],
        )


def check_key_kind_change(previous: Optional[KeyKind], current: KeyKind, accept_change: bool) -> bool:
    """Return whether this run changes the key kind, raising KeyKindChangedError when the change is not accepted."""
    if previous is None or previous == current:
        return False
    if accept_change:
        logger.warning("Picqer key kind changed from %s to %s; the change is accepted", previous.value, current.value)
        return True
    if current == KeyKind.ADMIN:
        consequence = (
            "the key can now read supplier objects. With --accept-key-change, suppliers that were derived from "
            "purchase-order names are matched to those objects and orders follow them."
        )
    else:
        consequence = (
            "the key can no longer read supplier objects. With --accept-key-change, the last-known supplier "
            "objects are kept and new orders' names are resolved against them."
        )
    raise KeyKindChangedError(
        f"The Picqer key kind changed from {previous.value} to {current.value} since the last run of this "
        f"warehouse: {consequence} Nothing was loaded. Run again with --accept-key-change to carry out the change, "
        "or restore the previous key. The refused run is recorded in picqer_audit.refused_key_changes."
    )
