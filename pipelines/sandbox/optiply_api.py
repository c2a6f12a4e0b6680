"""The fake Optiply API: the OAuth2 token endpoint and the JSON:API `/v1/suppliers` resource."""

from __future__ import annotations

import base64
import binascii
import copy
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from pipelines.sandbox import faults as fault_kinds
from pipelines.sandbox.credentials import (
    OPTIPLY_ACCOUNT_ID,
    OPTIPLY_CLIENT_ID,
    OPTIPLY_CLIENT_SECRET,
    OPTIPLY_PASSWORD,
    OPTIPLY_USERNAME,
)
from pipelines.sandbox.dataset import JsonObject, SandboxDataset
from pipelines.sandbox.http_server import ApiRequest, ApiResponse, SandboxApi, format_retry_after
from pipelines.sandbox.json_api_query import QueryError, page_links, parse_list_query, select_page
from pipelines.sandbox.optiply_auth import TOKEN_EXPIRED, TOKEN_VALID, TokenStore
from pipelines.sandbox.optiply_state import load_state, save_state
from pipelines.sandbox.optiply_validation import SupplierValidationError, validate_supplier_attributes

logger = logging.getLogger(__name__)

TOKEN_PATH = "/api/auth/oauth/token"
API_PREFIX = "/v1"
SUPPLIERS_PATH = "/v1/suppliers"
JSON_API_MEDIA_TYPE = "application/vnd.api+json"
REDACTED = "***"

KEY_CLIENT = "client"
KEY_INVALID_CLIENT = "invalid_client"
KEY_TOKEN = "token"
KEY_EXPIRED_TOKEN = "expired_token"
KEY_INVALID_TOKEN = "invalid_token"
KEY_MISSING = "missing"


@dataclass
class OptiplySettings:
    """Behaviour of the fake Optiply that tests may change while the server runs."""

    latency_seconds: float = 0.0
    token_lifetime_seconds: int = 3600


class OptiplyApi(SandboxApi):
    """Serves the Optiply account's suppliers; writes change them and, when a state file is set, persist them."""

    fault_kinds = fault_kinds.COMMON_KINDS | {fault_kinds.DROP_AFTER_COMMIT}

    def __init__(self, dataset: SandboxDataset, state_file: Path | None = None) -> None:
        super().__init__()
        self.settings = OptiplySettings()
        self.state_file = state_file
        stored = load_state(state_file) if state_file is not None else None
        initial = stored if stored is not None else dataset.optiply_suppliers
        self._suppliers: dict[int, JsonObject] = {int(item["id"]): copy.deepcopy(item) for item in initial}
        self._tokens = TokenStore()

    def suppliers(self) -> list[JsonObject]:
        """Return the account's current suppliers as JSON:API resources, ordered by id (copies)."""
        with self.lock:
            return [copy.deepcopy(self._suppliers[key]) for key in sorted(self._suppliers)]

    def expire_tokens(self) -> None:
        """Expire every token issued so far, so that the next API call with one of them gets 401."""
        self._tokens.expire_all()

    # SandboxApi hooks.

    def latency_seconds(self) -> float:
        return float(self.settings.latency_seconds)

    def identify(self, request: ApiRequest) -> str:
        authorization = request.headers.get("Authorization", "")
        scheme, _, credentials = authorization.partition(" ")
        if request.path == TOKEN_PATH:
            if scheme.lower() != "basic":
                return KEY_MISSING
            if _basic_credentials(credentials) == (OPTIPLY_CLIENT_ID, OPTIPLY_CLIENT_SECRET):
                return KEY_CLIENT
            return KEY_INVALID_CLIENT
        if scheme.lower() != "bearer" or not credentials.strip():
            return KEY_MISSING
        state = self._tokens.check(credentials.strip())
        if state == TOKEN_VALID:
            return KEY_TOKEN
        return KEY_EXPIRED_TOKEN if state == TOKEN_EXPIRED else KEY_INVALID_TOKEN

    def logged_body(self, request: ApiRequest) -> Any:
        if request.path != TOKEN_PATH:
            return super().logged_body(request)
        form = dict(parse_qsl(request.body.decode("utf-8", errors="replace"), keep_blank_values=True))
        for secret_field in ("password", "refresh_token"):
            if secret_field in form:
                form[secret_field] = REDACTED
        return form

    def error_response(self, status: int, message: str) -> ApiResponse:
        payload = {"errors": [{"status": str(status), "detail": message}]}
        return ApiResponse.json(status, payload, content_type=JSON_API_MEDIA_TYPE)

    def rate_limited_response(self, request: ApiRequest, retry_after: float | None) -> ApiResponse:
        response = self.error_response(429, "Too many requests.")
        if retry_after is not None:
            response.headers["Retry-After"] = format_retry_after(retry_after)
        return response

    def handle(self, request: ApiRequest) -> ApiResponse:
        if request.path == TOKEN_PATH:
            if request.method != "POST":
                return _oauth_error(405, "invalid_request", "Use POST on the token endpoint.")
            return self._issue_token(request)
        if not (request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")):
            return self.error_response(404, f"Not found: {request.path}")
        if request.key_kind != KEY_TOKEN:
            return self.error_response(401, "A valid bearer token is required.")

        segments = [segment for segment in request.path[len(API_PREFIX) :].split("/") if segment]
        if segments[:1] != ["suppliers"] or len(segments) > 2:
            return self.error_response(404, f"Not found: {request.path}")
        allowed = ("GET", "POST") if len(segments) == 1 else ("GET", "PATCH")
        if request.method not in allowed:
            return self.error_response(405, f"Method {request.method} is not allowed on {request.path}.")
        if request.method in ("POST", "PATCH") and not _is_json_api(request):
            return self.error_response(415, f"Content-Type must be {JSON_API_MEDIA_TYPE}.")

        with self.lock:
            if len(segments) == 1:
                if request.method == "GET":
                    return self._list_suppliers(request)
                return self._create_supplier(request)
            supplier_id = int(segments[1]) if segments[1].isdigit() else None
            if supplier_id is None or supplier_id not in self._suppliers:
                return self.error_response(404, f"Supplier {segments[1]} not found.")
            if request.method == "GET":
                return self._resource_response(200, self._suppliers[supplier_id])
            return self._update_supplier(request, supplier_id)

    # Token endpoint.

    def _issue_token(self, request: ApiRequest) -> ApiResponse:
        if request.key_kind != KEY_CLIENT:
            return _oauth_error(401, "invalid_client", "Client authentication failed.")
        form = dict(parse_qsl(request.body.decode("utf-8", errors="replace"), keep_blank_values=True))
        grant_type = form.get("grant_type")
        if grant_type == "password":
            if (form.get("username"), form.get("password")) != (OPTIPLY_USERNAME, OPTIPLY_PASSWORD):
                return _oauth_error(401, "invalid_grant", "Bad credentials.")
        elif grant_type == "refresh_token":
            if not self._tokens.redeem_refresh_token(form.get("refresh_token", "")):
                return _oauth_error(401, "invalid_grant", "Invalid refresh token.")
        else:
            return _oauth_error(400, "unsupported_grant_type", f"Unsupported grant_type {grant_type!r}.")
        return ApiResponse.json(200, self._tokens.issue(int(self.settings.token_lifetime_seconds)))

    # Suppliers.

    def _list_suppliers(self, request: ApiRequest) -> ApiResponse:
        try:
            list_query = parse_list_query(request.query)
        except QueryError as error:
            return self.error_response(400, str(error))
        resources = [self._suppliers[key] for key in sorted(self._suppliers)]
        page, total = select_page(resources, list_query)
        base_url = f"http://{request.headers.get('Host', '127.0.0.1')}{SUPPLIERS_PATH}"
        payload = {"data": page, "links": page_links(base_url, request.query, list_query, total)}
        return ApiResponse.json(200, payload, content_type=JSON_API_MEDIA_TYPE)

    def _create_supplier(self, request: ApiRequest) -> ApiResponse:
        account_id = request.query.get("accountId", "")
        coupling_id = request.query.get("couplingId", "")
        if not account_id.isdigit() or not coupling_id.isdigit():
            return self.error_response(400, "Query parameters accountId and couplingId are required integers.")
        if int(account_id) != OPTIPLY_ACCOUNT_ID:
            return self.error_response(403, f"No access to account {account_id}.")
        try:
            attributes = validate_supplier_attributes(_document_attributes(request, None), creating=True)
        except SupplierValidationError as error:
            return self.error_response(400, str(error))

        new_id = max(self._suppliers, default=0) + 1
        stored: JsonObject = {
            "name": attributes["name"],
            "emails": [],
            "minimumOrderValue": None,
            "fixedCosts": None,
            "deliveryTime": None,
            "userReplenishmentPeriod": None,
            "reactingToLostSales": True,
            "backorders": False,
            "ignored": False,
            "globalLocationNumber": None,
            "type": "vendor",
            "remoteIdMap": {},
            "createdFromPublicApi": True,
            "accountId": OPTIPLY_ACCOUNT_ID,
        }
        _apply_attributes(stored, attributes, default_coupling_id=int(coupling_id))
        resource = {"type": "suppliers", "id": str(new_id), "attributes": stored}
        self._suppliers[new_id] = resource
        self._persist()
        logger.debug("Created Optiply supplier %s", new_id)
        return self._resource_response(201, resource)

    def _update_supplier(self, request: ApiRequest, supplier_id: int) -> ApiResponse:
        coupling_id = request.query.get("couplingId")
        if coupling_id is not None and not coupling_id.isdigit():
            return self.error_response(400, f"Query parameter couplingId must be an integer, got {coupling_id!r}.")
        try:
            attributes = validate_supplier_attributes(_document_attributes(request, str(supplier_id)), creating=False)
        except SupplierValidationError as error:
            return self.error_response(400, str(error))
        if "remoteId" in attributes and "couplingId" not in attributes and coupling_id is None:
            return self.error_response(400, "remoteId needs couplingId, as an attribute or query parameter.")

        updated = copy.deepcopy(self._suppliers[supplier_id])
        _apply_attributes(
            updated["attributes"], attributes, default_coupling_id=int(coupling_id) if coupling_id else None
        )
        self._suppliers[supplier_id] = updated
        self._persist()
        return self._resource_response(200, updated)

    def _resource_response(self, status: int, resource: JsonObject) -> ApiResponse:
        return ApiResponse.json(status, {"data": resource}, content_type=JSON_API_MEDIA_TYPE)

    def _persist(self) -> None:
        if self.state_file is not None:
            save_state(self.state_file, [self._suppliers[key] for key in sorted(self._suppliers)])


def _document_attributes(request: ApiRequest, expected_id: str | None) -> Any:
    """Return `data.attributes` of a JSON:API write body; raise SupplierValidationError when the shape is wrong."""
    try:
        document = request.json_body()
    except (ValueError, UnicodeDecodeError) as error:
        raise SupplierValidationError("The body is not valid JSON.") from error
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, dict):
        raise SupplierValidationError("The body must be a JSON:API document with a data object.")
    if data.get("type") != "suppliers":
        raise SupplierValidationError(f"data.type must be 'suppliers', got {data.get('type')!r}.")
    if expected_id is not None and "id" in data and str(data["id"]) != expected_id:
        raise SupplierValidationError(f"data.id {data['id']!r} does not match the URL id {expected_id}.")
    return data.get("attributes")


def _apply_attributes(stored: JsonObject, attributes: JsonObject, default_coupling_id: int | None) -> None:
    """Copy validated attributes into a stored supplier; `remoteId` goes to `remoteIdMap[str(couplingId)]`."""
    changes = dict(attributes)
    remote_id_given = "remoteId" in changes
    remote_id = changes.pop("remoteId", None)
    coupling_id = changes.pop("couplingId", default_coupling_id)
    changes.pop("accountId", None)
    stored.update(changes)
    if remote_id_given and coupling_id is not None:
        remote_id_map = dict(stored.get("remoteIdMap") or {})
        if remote_id is None:
            remote_id_map.pop(str(coupling_id), None)
        else:
            remote_id_map[str(coupling_id)] = remote_id
        stored["remoteIdMap"] = remote_id_map


def _is_json_api(request: ApiRequest) -> bool:
    media_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    return media_type == JSON_API_MEDIA_TYPE


def _basic_credentials(encoded: str) -> tuple[str, str] | None:
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, separator, password = decoded.partition(":")
    return (user, password) if separator else None


def _oauth_error(status: int, error: str, description: str) -> ApiResponse:
    return ApiResponse.json(status, {"error": error, "error_description": description})
