"""The HTTP layer shared by the fake Picqer and Optiply servers.

Each fake API is a `SandboxApi`: it turns an `ApiRequest` into an `ApiResponse`. This module applies the queued
faults and the latency around that, records every request, serves the `/_sandbox/*` control routes and speaks
HTTP/1.1 with keep-alive through the standard library's `ThreadingHTTPServer`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pipelines.sandbox import faults as fault_kinds
from pipelines.sandbox.faults import Fault, FaultError, FaultQueue
from pipelines.sandbox.request_log import RecordedRequest

logger = logging.getLogger(__name__)

CONTROL_PREFIX = "/_sandbox/"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class ApiRequest:
    """One HTTP request, parsed. `query` keeps the last value of a repeated parameter."""

    method: str
    path: str
    query: dict[str, str]
    headers: Message
    body: bytes
    key_kind: str = "missing"

    def json_body(self) -> Any:
        """Return the body parsed as JSON; raise ValueError when it is not valid JSON."""
        return json.loads(self.body.decode("utf-8"))


@dataclass
class ApiResponse:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, content_type: str = "application/json") -> ApiResponse:
        return cls(status=status, body=json.dumps(payload).encode("utf-8"), content_type=content_type)

    @classmethod
    def html(cls, status: int, title: str) -> ApiResponse:
        page = f"<!DOCTYPE html>\n<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>\n"
        return cls(status=status, body=page.encode("utf-8"), content_type="text/html; charset=utf-8")


@dataclass
class Outcome:
    """The handler's reply: a response, or nothing at all when the connection is to be dropped."""

    response: ApiResponse | None
    dropped: bool = False


class SandboxApi(ABC):
    """One fake API: its state lock, fault queue and request log, and the fault handling around `handle`."""

    fault_kinds: frozenset[str] = fault_kinds.COMMON_KINDS

    def __init__(self) -> None:
        # Re-entrant, so that helpers called while the lock is held may take it again.
        self.lock = threading.RLock()
        self.faults = FaultQueue(self.fault_kinds)
        # A plain list, so that tests can filter it and call `requests.clear()`; appends and clear() are atomic
        # in CPython, and the lock orders concurrent appends.
        self.requests: list[RecordedRequest] = []
        self._requests_lock = threading.Lock()

    def clear_requests(self) -> None:
        """Forget the requests recorded so far."""
        with self._requests_lock:
            self.requests.clear()

    def logged_path(self, path: str) -> str:
        """Return the path as it appears in the request log; fault prefixes match this path and the full one."""
        return path

    def latency_seconds(self) -> float:
        return 0.0

    def identify(self, request: ApiRequest) -> str:
        """Return the kind of credential that `request` carries, for the request log."""
        return "none"

    def logged_body(self, request: ApiRequest) -> Any:
        """Return the body to record: parsed JSON for writes, else None. Subclasses redact secrets here."""
        if request.method not in WRITE_METHODS or not request.body:
            return None
        try:
            return request.json_body()
        except (ValueError, UnicodeDecodeError):
            return request.body.decode("utf-8", errors="replace")

    @abstractmethod
    def handle(self, request: ApiRequest) -> ApiResponse:
        """Process the request and return the API's response."""

    @abstractmethod
    def error_response(self, status: int, message: str) -> ApiResponse:
        """Return an error in this API's JSON error format."""

    @abstractmethod
    def rate_limited_response(self, request: ApiRequest, retry_after: float | None) -> ApiResponse:
        """Return this API's 429 response."""

    def decorate(self, request: ApiRequest, response: ApiResponse) -> None:
        """Add headers that every response of this API carries."""

    def serve(self, request: ApiRequest) -> Outcome:
        """Process `request` with the next matching fault and the configured latency, and record it."""
        request.key_kind = self.identify(request)
        logged_path = self.logged_path(request.path)
        fault = self.faults.take(logged_path, request.path)
        latency = self.latency_seconds()
        if latency > 0:
            time.sleep(latency)

        if fault is not None and fault.kind == fault_kinds.DROP:
            self._record(request, logged_path, None, fault, dropped=True)
            return Outcome(response=None, dropped=True)

        if fault is not None and fault.kind in (fault_kinds.HTML_500, fault_kinds.STATUS, fault_kinds.RATE_LIMIT):
            response = self._fault_response(request, fault)
        else:
            if fault is not None and fault.kind == fault_kinds.SLOW:
                time.sleep(float(fault.params.get("seconds", 2.0)))
            response = self.handle(request)
        self.decorate(request, response)

        if fault is not None and fault.kind == fault_kinds.TRUNCATED_JSON:
            response.body = response.body[: len(response.body) // 2]
        dropped = fault is not None and fault.kind == fault_kinds.DROP_AFTER_COMMIT
        self._record(request, logged_path, response.status, fault, dropped=dropped)
        if dropped:
            return Outcome(response=None, dropped=True)
        return Outcome(response=response)

    def serve_control(self, request: ApiRequest) -> ApiResponse:
        """Serve the `/_sandbox/*` routes, which drive the sandbox from another process."""
        route = (request.method, request.path)
        if route == ("GET", "/_sandbox/requests"):
            return ApiResponse.json(200, [entry.as_dict() for entry in list(self.requests)])
        if route == ("GET", "/_sandbox/faults"):
            return ApiResponse.json(200, [fault.as_dict() for fault in self.faults.pending()])
        if route == ("POST", "/_sandbox/faults"):
            return self._add_fault_from_body(request)
        return ApiResponse.json(404, {"error": f"No sandbox control route {request.method} {request.path}."})

    def _add_fault_from_body(self, request: ApiRequest) -> ApiResponse:
        try:
            payload = request.json_body()
        except (ValueError, UnicodeDecodeError):
            return ApiResponse.json(400, {"error": "The body must be a JSON object with at least 'kind'."})
        if not isinstance(payload, dict) or not isinstance(payload.get("kind"), str):
            return ApiResponse.json(400, {"error": "The body must be a JSON object with at least 'kind'."})
        params = {name: value for name, value in payload.items() if name not in ("kind", "path_prefix", "count")}
        try:
            fault = self.faults.add(
                payload["kind"], path_prefix=payload.get("path_prefix"), count=payload.get("count", 1), **params
            )
        except FaultError as error:
            return ApiResponse.json(400, {"error": str(error)})
        return ApiResponse.json(201, fault.as_dict())

    def _fault_response(self, request: ApiRequest, fault: Fault) -> ApiResponse:
        if fault.kind == fault_kinds.HTML_500:
            return ApiResponse.html(500, "500 Internal Server Error")
        if fault.kind == fault_kinds.RATE_LIMIT:
            return self.rate_limited_response(request, fault.params.get("retry_after"))
        status = int(fault.params["status"])
        if fault.params.get("body", "html") == "json":
            return self.error_response(status, f"Upstream error {status}")
        return ApiResponse.html(status, f"{status} Bad Gateway" if status == 502 else f"{status} Server Error")

    def _record(
        self, request: ApiRequest, logged_path: str, status: int | None, fault: Fault | None, dropped: bool
    ) -> None:
        entry = RecordedRequest(
            method=request.method,
            path=logged_path,
            query=dict(request.query),
            status=status,
            key_kind=request.key_kind,
            body=self.logged_body(request),
            fault=fault.kind if fault is not None else None,
            dropped=dropped,
        )
        with self._requests_lock:
            self.requests.append(entry)


def format_retry_after(seconds: float) -> str:
    """Return a Retry-After value: whole seconds without a decimal point, fractions as given (for fast tests)."""
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


class SandboxHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server bound to one SandboxApi. Handler threads are daemons, so a slow fault never
    keeps the process alive."""

    daemon_threads = True

    def __init__(self, port: int, api: SandboxApi) -> None:
        self.api = api
        super().__init__(("127.0.0.1", port), SandboxRequestHandler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class SandboxRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes. With Nagle's algorithm on, the second write waits for the
    # client's delayed ACK, about 40 ms per response on Linux.
    disable_nagle_algorithm = True
    server: SandboxHTTPServer

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def _dispatch(self) -> None:
        request = self._read_request()
        if request is None:
            return
        api = self.server.api
        if request.path.startswith(CONTROL_PREFIX):
            self._send(api.serve_control(request))
            return
        outcome = api.serve(request)
        if outcome.dropped or outcome.response is None:
            # Returning without writing anything and closing the connection is what the client sees as a
            # connection reset by the server.
            self.close_connection = True
            return
        self._send(outcome.response)

    def _read_request(self) -> ApiRequest | None:
        parts = urlsplit(self.path)
        length_header = self.headers.get("Content-Length", "0")
        try:
            length = int(length_header)
        except ValueError:
            self.send_error(400, "Invalid Content-Length")
            return None
        body = self.rfile.read(length) if length > 0 else b""
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        return ApiRequest(method=self.command, path=parts.path, query=query, headers=self.headers, body=body)

    def _send(self, response: ApiResponse) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up first, for example after its timeout on a slow fault.
            logger.debug("Client closed the connection before the response to %s %s", self.command, self.path)
            self.close_connection = True
