"""The fake Picqer REST API: purchase orders, suppliers and fulfilment clients under `/api/v1`."""

from __future__ import annotations

import base64
import binascii
import copy
import re
from dataclasses import dataclass
from datetime import datetime
from pipelines.sandbox.credentials import PICQER_ADMIN_KEY, parse_picqer_scoped_key
from pipelines.sandbox.dataset import JsonObject, SandboxDataset
from pipelines.sandbox.http_server import ApiRequest, ApiResponse, SandboxApi, format_retry_after
from pipelines.sandbox.rate_limit import SlidingWindowLimiter

API_PREFIX = "/api/v1"
PAGE_SIZE = 100
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
# strptime accepts a one- or two-digit %Y and %m, so the exact shape is checked first.
TIMESTAMP_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")

# Picqer documents error code 20 (item not found) and 28 (rate limit exceeded).
# NOTE: the codes for bad requests, bad credentials and denied access are not documented, so the sandbox uses 0.
ERROR_CODE_UNDOCUMENTED = 0
ERROR_CODE_NOT_FOUND = 20
ERROR_CODE_RATE_LIMIT = 28

KEY_ADMIN = "admin"
KEY_SCOPED = "scoped"
KEY_REVOKED = "revoked"
KEY_INVALID = "invalid"
KEY_MISSING = "missing"


@dataclass
class PicqerSettings:
    """Behaviour of the fake Picqer that tests may change while the server runs."""

    latency_seconds: float = 0.0
    rate_limit_per_minute: int = 500
    retry_after: float | None = None
    """Seconds sent as Retry-After on a 429; None sends no Retry-After, as Picqer documents none."""
    suppliers_denied_status: int = 401
    """Status for a scoped key on `/suppliers` and `/fulfilment/customers`: 401 or 403."""
    updated_after_inclusive: bool = False


class PicqerApi(SandboxApi):
    """Serves the dataset's Picqer rows with Picqer's auth, key scopes, paging, filters and rate limit."""

    def __init__(self, dataset: SandboxDataset) -> None:
        super().__init__()
        self.settings = PicqerSettings()
        # The rows are not copied: each Sandbox reads its own dataset from disk, and copying 1,500 orders
        # would slow every test fixture down.
        self._purchase_orders = {int(order["idpurchaseorder"]): order for order in dataset.purchase_orders}
        self._suppliers = {int(supplier["idsupplier"]): supplier for supplier in dataset.suppliers}
        self._fulfilment_customers = {
            int(customer["idfulfilment_customer"]): customer for customer in dataset.fulfilment_customers
        }
        self._revoked_keys: set[str] = set()
        # Orders sorted by id, rebuilt only after a change: sorting on every page made accounts of 100,000s of
        # generated orders take a quarter of a second per page.
        self._sorted_orders: list[JsonObject] | None = None
        self._limiter = SlidingWindowLimiter()

    # Changes that tests make to the account while the server runs.

    def upsert_purchase_order(self, order: JsonObject) -> None:
        """Insert `order`, or replace the order with the same `idpurchaseorder`."""
        if not isinstance(order.get("idpurchaseorder"), int):
            raise ValueError(
                f"A purchase order needs an integer idpurchaseorder, got {order.get('idpurchaseorder')!r}."
            )
        with self.lock:
            self._purchase_orders[order["idpurchaseorder"]] = copy.deepcopy(order)
            self._sorted_orders = None

    def remove_supplier(self, idsupplier: int) -> None:
        """Delete a supplier object, as deleting it in Picqer does; its purchase orders keep the idsupplier."""
        with self.lock:
            if idsupplier not in self._suppliers:
                raise KeyError(f"No supplier with idsupplier {idsupplier} in the sandbox.")
            del self._suppliers[idsupplier]

    def revoke(self, api_key: str) -> None:
        """Make `api_key` fail with 401 on every endpoint from now on."""
        with self.lock:
            self._revoked_keys.add(api_key)

    def fulfilment_customer_ids(self) -> list[int]:
        with self.lock:
            return sorted(self._fulfilment_customers)

    # SandboxApi hooks.

    def logged_path(self, path: str) -> str:
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            return path[len(API_PREFIX) :] or "/"
        return path

    def latency_seconds(self) -> float:
        return float(self.settings.latency_seconds)

    def identify(self, request: ApiRequest) -> str:
        api_key = _basic_auth_user(request)
        if api_key is None:
            return KEY_MISSING
        with self.lock:
            if api_key in self._revoked_keys:
                return KEY_REVOKED
            if api_key == PICQER_ADMIN_KEY:
                return KEY_ADMIN
            if parse_picqer_scoped_key(api_key) in self._fulfilment_customers:
                return KEY_SCOPED
        return KEY_INVALID

    def error_response(self, status: int, message: str, error_code: int = ERROR_CODE_UNDOCUMENTED) -> ApiResponse:
        return ApiResponse.json(status, {"error": True, "error_code": error_code, "error_message": message})

    def rate_limited_response(self, request: ApiRequest, retry_after: float | None) -> ApiResponse:
        response = self.error_response(429, "Rate limit exceeded", ERROR_CODE_RATE_LIMIT)
        if retry_after is None:
            retry_after = self.settings.retry_after
        if retry_after is not None:
            response.headers["Retry-After"] = format_retry_after(retry_after)
        return response

    def decorate(self, request: ApiRequest, response: ApiResponse) -> None:
        limit = int(self.settings.rate_limit_per_minute)
        response.headers["X-RateLimit-Limit"] = str(limit)
        response.headers["X-RateLimit-Remaining"] = str(self._limiter.remaining(self._rate_limit_key(request), limit))

    def handle(self, request: ApiRequest) -> ApiResponse:
        if not self._limiter.try_acquire(self._rate_limit_key(request), int(self.settings.rate_limit_per_minute)):
            return self.rate_limited_response(request, None)
        if not request.headers.get("User-Agent", "").strip():
            return self.error_response(400, "A User-Agent header naming your application and a contact is required.")
        if request.key_kind not in (KEY_ADMIN, KEY_SCOPED):
            return self.error_response(401, "Invalid API key or no access to this function.")

        if not (request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")):
            return self.error_response(404, "Endpoint not found.", ERROR_CODE_NOT_FOUND)
        segments = [segment for segment in self.logged_path(request.path).split("/") if segment]
        if request.method != "GET":
            if segments[:1] in (["purchaseorders"], ["suppliers"], ["fulfilment"]):
                return self.error_response(405, f"Method {request.method} is not supported here.")
            return self.error_response(404, "Endpoint not found.", ERROR_CODE_NOT_FOUND)
        with self.lock:
            return self._route(request, segments)

    # Routes.

    def _route(self, request: ApiRequest, segments: list[str]) -> ApiResponse:
        if segments == ["purchaseorders"]:
            return self._list_purchase_orders(request)
        if len(segments) == 2 and segments[0] == "purchaseorders" and segments[1].isdigit():
            return self._get_purchase_order(request, int(segments[1]))
        if segments == ["suppliers"]:
            return self._list_suppliers(request)
        if len(segments) == 2 and segments[0] == "suppliers" and segments[1].isdigit():
            return self._get_supplier(request, int(segments[1]))
        if segments == ["fulfilment", "customers"]:
            return self._list_fulfilment_customers(request)
        # NOTE: Picqer's body for an unknown path is not documented, so the sandbox returns its usual JSON error.
        return self.error_response(404, "Endpoint not found.", ERROR_CODE_NOT_FOUND)

    def _list_purchase_orders(self, request: ApiRequest) -> ApiResponse:
        if self._sorted_orders is None:
            self._sorted_orders = [self._purchase_orders[key] for key in sorted(self._purchase_orders)]
        orders = self._sorted_orders
        if request.key_kind != KEY_ADMIN:
            orders = [order for order in orders if self._key_may_read(request, order)]
        raw_updated_after = request.query.get("updated_after")
        if raw_updated_after is not None:
            if not _is_timestamp(raw_updated_after):
                return self.error_response(
                    400, f"Invalid updated_after {raw_updated_after!r}: expected YYYY-MM-DD HH:MM:SS."
                )
            orders = [order for order in orders if self._updated_after(order, raw_updated_after)]
        return self._page(request, orders)

    def _get_purchase_order(self, request: ApiRequest, idpurchaseorder: int) -> ApiResponse:
        order = self._purchase_orders.get(idpurchaseorder)
        # A scoped key cannot tell another client's order from a missing one.
        if order is None or not self._key_may_read(request, order):
            return self.error_response(404, "Purchase order not found.", ERROR_CODE_NOT_FOUND)
        return ApiResponse.json(200, order)

    def _list_suppliers(self, request: ApiRequest) -> ApiResponse:
        if request.key_kind != KEY_ADMIN:
            return self._denied()
        inactive = request.query.get("inactive", "false").lower()
        if inactive not in ("true", "1", "false", "0"):
            return self.error_response(400, f"Invalid inactive {inactive!r}: expected true or false.")
        want_active = inactive in ("false", "0")
        suppliers = [self._suppliers[key] for key in sorted(self._suppliers)]
        return self._page(request, [supplier for supplier in suppliers if bool(supplier.get("active")) == want_active])

    def _get_supplier(self, request: ApiRequest, idsupplier: int) -> ApiResponse:
        if request.key_kind != KEY_ADMIN:
            return self._denied()
        supplier = self._suppliers.get(idsupplier)
        if supplier is None:
            return self.error_response(404, "Supplier not found.", ERROR_CODE_NOT_FOUND)
        return ApiResponse.json(200, supplier)

    def _list_fulfilment_customers(self, request: ApiRequest) -> ApiResponse:
        if request.key_kind != KEY_ADMIN:
            return self._denied()
        customers = [self._fulfilment_customers[key] for key in sorted(self._fulfilment_customers)]
        return self._page(request, customers)

    # Helpers.

    def _page(self, request: ApiRequest, rows: list[JsonObject]) -> ApiResponse:
        raw_offset = request.query.get("offset", "0")
        if not raw_offset.isdigit():
            return self.error_response(400, f"Invalid offset {raw_offset!r}: expected a non-negative integer.")
        offset = int(raw_offset)
        return ApiResponse.json(200, rows[offset : offset + PAGE_SIZE])

    def _denied(self) -> ApiResponse:
        status = int(self.settings.suppliers_denied_status)
        if status == 403:
            return self.error_response(403, "No access to this feature.")
        return self.error_response(status, "No access to this function.")

    def _key_may_read(self, request: ApiRequest, order: JsonObject) -> bool:
        if request.key_kind == KEY_ADMIN:
            return True
        api_key = _basic_auth_user(request) or ""
        return order.get("idfulfilment_customer") == parse_picqer_scoped_key(api_key)

    def _updated_after(self, order: JsonObject, cutoff: str) -> bool:
        # Both values have the fixed-width shape YYYY-MM-DD HH:MM:SS, so text order is time order. Comparing
        # text avoids running strptime on all 1,500 orders for every page, which made filtered reads slow.
        updated = order.get("updated")
        if not isinstance(updated, str) or not TIMESTAMP_PATTERN.fullmatch(updated):
            return False
        if self.settings.updated_after_inclusive:
            return updated >= cutoff
        return updated > cutoff

    @staticmethod
    def _rate_limit_key(request: ApiRequest) -> str:
        return _basic_auth_user(request) or ""


def _basic_auth_user(request: ApiRequest) -> str | None:
    """Return the user name of an HTTP Basic Authorization header (Picqer's API key), or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user = decoded.partition(":")[0]
    return user or None


def _is_timestamp(value: str) -> bool:
    """Return True when `value` is a valid `YYYY-MM-DD HH:MM:SS` time, such as `2024-07-13 00:12:26`."""
    if not TIMESTAMP_PATTERN.fullmatch(value):
        return False
    try:
        datetime.strptime(value, TIMESTAMP_FORMAT)
    except ValueError:
        return False
    return True
