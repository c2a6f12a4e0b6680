"""Collecting the HTTP requests made for one supplier and writing them to `optiply_sync.export_log`."""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

from pipelines.optiply.retry import RequestAttempt
from pipelines.optiply.sync_store import LogEntry, SyncStore


class RequestRecorder:
    """Buffers the attempts of one supplier's export, so each row can carry the Optiply id learned at the end."""

    def __init__(self, store: SyncStore, run_id: str) -> None:
        self._store = store
        self._run_id = run_id
        self._supplier_key: Optional[str] = None
        self._action = ""
        self._supplier_id: Optional[int] = None
        self._entries: list[LogEntry] = []
        self._request_count = 0

    def start(self, supplier_key: str, action: str, optiply_supplier_id: Optional[int]) -> None:
        self._supplier_key = supplier_key
        self._action = action
        self._supplier_id = optiply_supplier_id
        self._entries = []

    def switch_action(self, action: str) -> None:
        """Label the following requests with `action`, such as `reconcile` for a lookup before a POST."""
        self._action = action

    def set_supplier_id(self, optiply_supplier_id: int) -> None:
        """Attach the Optiply id, once known, to every request of this supplier."""
        self._supplier_id = optiply_supplier_id
        self._entries = [replace(entry, optiply_supplier_id=optiply_supplier_id) for entry in self._entries]

    def observe(self, attempt: RequestAttempt) -> None:
        self._request_count += 1
        self._entries.append(
            LogEntry(
                supplier_key=self._supplier_key,
                action="authenticate" if attempt.kind == "token" else self._action,
                method=attempt.method,
                status_code=attempt.status_code,
                optiply_supplier_id=self._supplier_id,
                error=attempt.error,
                attempt=attempt.attempt,
                request_number=self._request_count,
            )
        )

    def flush(self, error: Optional[str]) -> None:
        """Write the buffered requests, with `error` (already free of secrets) on the last one."""
        if error is not None and self._entries:
            self._entries[-1] = replace(self._entries[-1], error=error)
        self._store.append_log(self._run_id, self._entries)
        self._entries = []
