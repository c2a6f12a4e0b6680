"""Faults that a sandbox server injects into the next matching requests."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

HTML_500 = "html_500"
"""Return an HTML error page with status 500, as Picqer has been seen to do."""
STATUS = "status"
"""Return `status` (502, 503 or 504) with a `body` of "html" (the default) or "json"."""
RATE_LIMIT = "rate_limit"
"""Return 429 without processing the request. A `retry_after` (seconds) adds a Retry-After header."""
SLOW = "slow"
"""Wait `seconds` (default 2.0) before processing the request normally."""
DROP = "drop"
"""Close the connection without processing the request or sending any response."""
TRUNCATED_JSON = "truncated_json"
"""Process the request, then send only the first half of the response body."""
DROP_AFTER_COMMIT = "drop_after_commit"
"""Process the request (a write is stored), then close the connection without sending the response."""

COMMON_KINDS = frozenset({HTML_500, STATUS, RATE_LIMIT, SLOW, DROP, TRUNCATED_JSON})
GATEWAY_STATUSES = frozenset({502, 503, 504})


class FaultError(ValueError):
    """A fault was requested with an unknown kind or invalid parameters."""


@dataclass
class Fault:
    """One queued fault: it applies to the next `remaining` requests whose path starts with `path_prefix`."""

    kind: str
    path_prefix: str | None
    remaining: int
    params: dict[str, Any] = field(default_factory=dict)

    def matches(self, paths: tuple[str, ...]) -> bool:
        if self.path_prefix is None:
            return True
        return any(path.startswith(self.path_prefix) for path in paths)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "path_prefix": self.path_prefix, "remaining": self.remaining, **self.params}


class FaultQueue:
    """Thread-safe queue of faults; faults apply in the order they were added."""

    def __init__(self, supported_kinds: frozenset[str]) -> None:
        self._supported_kinds = supported_kinds
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, kind: str, path_prefix: str | None = None, count: int = 1, **params: Any) -> Fault:
        """Queue `kind` for the next `count` requests whose path starts with `path_prefix` (any path when None)."""
        fault = Fault(kind=kind, path_prefix=path_prefix, remaining=count, params=dict(params))
        self._validate(fault)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, *paths: str) -> Fault | None:
        """Consume one use of the first queued fault that matches any of `paths`; return it, or None."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(paths):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def _validate(self, fault: Fault) -> None:
        if fault.kind not in self._supported_kinds:
            raise FaultError(f"Unknown fault kind {fault.kind!r}; expected one of {sorted(self._supported_kinds)}.")
        if not isinstance(fault.remaining, int) or fault.remaining < 1:
            raise FaultError(f"Fault count must be a positive integer, got {fault.remaining!r}.")
        if fault.path_prefix is not None and not fault.path_prefix.startswith("/"):
            raise FaultError(f"Fault path_prefix must start with '/', got {fault.path_prefix!r}.")
        if fault.kind == STATUS:
            if fault.params.get("status") not in GATEWAY_STATUSES:
                raise FaultError(f"Fault 'status' needs status=502, 503 or 504, got {fault.params.get('status')!r}.")
            if fault.params.get("body", "html") not in ("html", "json"):
                raise FaultError(f"Fault 'status' needs body='html' or 'json', got {fault.params.get('body')!r}.")
        if fault.kind == SLOW:
            _require_non_negative_number(fault.params.get("seconds", 2.0), "slow", "seconds")
        if fault.kind == RATE_LIMIT and fault.params.get("retry_after") is not None:
            _require_non_negative_number(fault.params["retry_after"], "rate_limit", "retry_after")


def _require_non_negative_number(value: Any, kind: str, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise FaultError(f"Fault {kind!r} needs {name} as a non-negative number, got {value!r}.")
