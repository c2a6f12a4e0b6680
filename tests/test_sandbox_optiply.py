"""The fake Optiply over real HTTP: OAuth, JSON:API suppliers, validation, faults and persisted state."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from pipelines.sandbox import SAMPLE_DIR, Sandbox
from pipelines.sandbox.credentials import (
    OPTIPLY_ACCOUNT_ID,
    OPTIPLY_CLIENT_ID,
    OPTIPLY_CLIENT_SECRET,
    OPTIPLY_COUPLING_ID,
    OPTIPLY_PASSWORD,
    OPTIPLY_USERNAME,
)

JSON_API = "application/vnd.api+json"
SAMPLE_IDS = ["90001", "90002", "90003", "90004", "90005"]
WRITE_PARAMS = {"accountId": OPTIPLY_ACCOUNT_ID, "couplingId": OPTIPLY_COUPLING_ID}


def fetch_token(sandbox: Sandbox, **overrides: str) -> requests.Response:
    form = {"grant_type": "password", "username": OPTIPLY_USERNAME, "password": OPTIPLY_PASSWORD}
    client = (overrides.pop("client_id", OPTIPLY_CLIENT_ID), overrides.pop("client_secret", OPTIPLY_CLIENT_SECRET))
    form.update(overrides)
    return requests.post(sandbox.optiply_token_url, data=form, auth=client, timeout=10)


class OptiplySession:
    """A bearer-token session against the sandbox's Optiply, as the exporter would hold one."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.token = fetch_token(sandbox).json()["access_token"]

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Content-Type": JSON_API}

    def get(self, path: str, **params: Any) -> requests.Response:
        return requests.get(f"{self.sandbox.optiply_api_url}{path}", params=params, headers=self.headers(), timeout=10)

    def create(self, attributes: dict[str, Any], params: dict[str, Any] | None = None) -> requests.Response:
        body = {"data": {"type": "suppliers", "attributes": attributes}}
        return requests.post(
            f"{self.sandbox.optiply_api_url}/suppliers",
            params=WRITE_PARAMS if params is None else params,
            data=json.dumps(body),
            headers=self.headers(),
            timeout=10,
        )

    def update(self, supplier_id: str, attributes: dict[str, Any]) -> requests.Response:
        body = {"data": {"type": "suppliers", "id": supplier_id, "attributes": attributes}}
        return requests.patch(
            f"{self.sandbox.optiply_api_url}/suppliers/{supplier_id}",
            params=WRITE_PARAMS,
            data=json.dumps(body),
            headers=self.headers(),
            timeout=10,
        )


@pytest.fixture
def optiply(sandbox: Sandbox) -> OptiplySession:
    return OptiplySession(sandbox)


@pytest.fixture
def many_suppliers_dir(tmp_path: Path) -> Path:
    """A dataset whose Optiply account contains 120 suppliers, ids 1 to 120, for paging."""
    data_dir = tmp_path / "dataset"
    shutil.copytree(SAMPLE_DIR / "picqer", data_dir / "picqer")
    (data_dir / "optiply").mkdir()
    suppliers = [
        {"type": "suppliers", "id": str(number), "attributes": {"name": f"Supplier {number:03d}", "ignored": False}}
        for number in range(1, 121)
    ]
    (data_dir / "optiply" / "suppliers.json").write_text(json.dumps({"data": suppliers}))
    return data_dir


@pytest.fixture
def many_suppliers(many_suppliers_dir: Path) -> Iterator[OptiplySession]:
    with Sandbox(data_dir=many_suppliers_dir) as sandbox:
        yield OptiplySession(sandbox)


def assert_json_api_error(response: requests.Response, status: int) -> str:
    assert response.status_code == status
    errors = response.json()["errors"]
    assert errors[0]["status"] == str(status)
    return str(errors[0]["detail"])


def ids_of(response: requests.Response) -> list[str]:
    return [resource["id"] for resource in response.json()["data"]]


# OAuth.


def test_token_password_grant(sandbox: Sandbox) -> None:
    response = fetch_token(sandbox)

    assert response.status_code == 200
    reply = response.json()
    assert reply["access_token"]
    assert reply["refresh_token"]
    assert reply["expires_in"] == 3600
    assert reply["token_type"] == "bearer"


@pytest.mark.parametrize(
    "override",
    [{"client_secret": "wrong"}, {"client_id": "wrong"}, {"password": "wrong"}, {"username": "wrong@example.com"}],
)
def test_token_wrong_credentials_401(sandbox: Sandbox, override: dict[str, str]) -> None:
    response = fetch_token(sandbox, **override)

    assert response.status_code == 401
    assert "access_token" not in response.json()


def test_token_unsupported_grant_400(sandbox: Sandbox) -> None:
    assert fetch_token(sandbox, grant_type="client_credentials").status_code == 400


def test_refresh_token_works_once(sandbox: Sandbox) -> None:
    refresh_token = fetch_token(sandbox).json()["refresh_token"]

    renewed = fetch_token(sandbox, grant_type="refresh_token", refresh_token=refresh_token)
    reused = fetch_token(sandbox, grant_type="refresh_token", refresh_token=refresh_token)

    assert renewed.status_code == 200
    assert renewed.json()["access_token"]
    assert reused.status_code == 401


def test_api_requires_bearer_token(sandbox: Sandbox) -> None:
    url = f"{sandbox.optiply_api_url}/suppliers"

    assert_json_api_error(requests.get(url, timeout=10), 401)
    assert_json_api_error(requests.get(url, headers={"Authorization": "Bearer made-up"}, timeout=10), 401)
    basic = requests.get(url, auth=(OPTIPLY_CLIENT_ID, OPTIPLY_CLIENT_SECRET), timeout=10)
    assert_json_api_error(basic, 401)


def test_expired_token_is_401(optiply: OptiplySession, sandbox: Sandbox) -> None:
    assert optiply.get("/suppliers").status_code == 200

    sandbox.optiply.expire_tokens()

    assert_json_api_error(optiply.get("/suppliers"), 401)
    assert OptiplySession(sandbox).get("/suppliers").status_code == 200
    key_kinds = [request.key_kind for request in sandbox.optiply.requests]
    assert key_kinds[-4:] == ["token", "expired_token", "client", "token"]


def test_token_lifetime_setting_expires_tokens(sandbox: Sandbox) -> None:
    sandbox.optiply.settings.token_lifetime_seconds = 0

    session = OptiplySession(sandbox)

    assert_json_api_error(session.get("/suppliers"), 401)


# Listing.


def test_list_sample_suppliers(optiply: OptiplySession) -> None:
    response = optiply.get("/suppliers")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == JSON_API
    assert ids_of(response) == SAMPLE_IDS
    assert response.json()["data"][0]["attributes"]["remoteIdMap"] == {"7": "1294"}
    assert "next" not in response.json()["links"]


def test_list_pages_default_50(many_suppliers: OptiplySession) -> None:
    first = many_suppliers.get("/suppliers")
    last = many_suppliers.get("/suppliers", **{"page[offset]": 100})
    past_end = many_suppliers.get("/suppliers", **{"page[offset]": 150})

    assert ids_of(first) == [str(number) for number in range(1, 51)]
    assert ids_of(last) == [str(number) for number in range(101, 121)]
    assert past_end.status_code == 200
    assert past_end.json()["data"] == []
    assert "page%5Boffset%5D=50" in first.json()["links"]["next"] or "page[offset]=50" in first.json()["links"]["next"]
    assert "next" not in last.json()["links"]


def test_list_pages_of_100_follow_next(many_suppliers: OptiplySession) -> None:
    seen: list[str] = []
    url: str | None = f"{many_suppliers.sandbox.optiply_api_url}/suppliers?page[limit]=100&page[offset]=0&sort=id"
    pages = 0
    while url:
        response = requests.get(url, headers=many_suppliers.headers(), timeout=10)
        seen.extend(ids_of(response))
        url = response.json()["links"].get("next")
        pages += 1

    assert pages == 2
    assert seen == [str(number) for number in range(1, 121)]


@pytest.mark.parametrize(
    "params",
    [
        {"page[limit]": 101},
        {"page[limit]": 0},
        {"page[limit]": "ten"},
        {"page[offset]": 30},
        {"page[offset]": -50},
        {"filter[name][ABOUT]": "x"},
    ],
)
def test_list_rejects_invalid_parameters(optiply: OptiplySession, params: dict[str, Any]) -> None:
    assert_json_api_error(optiply.get("/suppliers", **params), 400)


def test_list_sort_descending(many_suppliers: OptiplySession) -> None:
    response = many_suppliers.get("/suppliers", sort="-id", **{"page[limit]": 3})

    assert ids_of(response) == ["120", "119", "118"]


def test_filter_name_exact_and_like(optiply: OptiplySession) -> None:
    exact = optiply.get("/suppliers", **{"filter[name]": "Holland Verpakkingen B.V."})
    exact_is_case_sensitive = optiply.get("/suppliers", **{"filter[name]": "holland verpakkingen b.v."})
    like = optiply.get("/suppliers", **{"filter[name][LIKE]": "verpakkingen"})
    like_pattern = optiply.get("/suppliers", **{"filter[name][LIKE]": "%B.V."})

    assert ids_of(exact) == ["90002"]
    assert ids_of(exact_is_case_sensitive) == []
    assert ids_of(like) == ["90002"]
    assert ids_of(like_pattern) == ["90001", "90002"]


def test_filter_value_with_reserved_characters(optiply: OptiplySession) -> None:
    name = "Smith & Sons + Co #1"
    created_id = optiply.create({"name": name}).json()["data"]["id"]

    found = optiply.get("/suppliers", **{"filter[name]": name})

    assert ids_of(found) == [created_id]


def test_filter_other_attributes(optiply: OptiplySession) -> None:
    producers = optiply.get("/suppliers", **{"filter[type]": "producer"})
    later = optiply.get("/suppliers", **{"filter[id][GT]": "90003"})
    from_api = optiply.get("/suppliers", **{"filter[createdFromPublicApi]": "false"})

    assert ids_of(producers) == ["90005"]
    assert ids_of(later) == ["90004", "90005"]
    assert ids_of(from_api) == ["90005"]


def test_get_one_supplier(optiply: OptiplySession) -> None:
    response = optiply.get("/suppliers/90005")

    assert response.status_code == 200
    assert response.json()["data"]["attributes"]["name"] == "Handmatig aangemaakte leverancier"
    assert_json_api_error(optiply.get("/suppliers/12345"), 404)
    assert_json_api_error(optiply.get("/suppliers/abc"), 404)
    assert_json_api_error(optiply.get("/buyOrders"), 404)


# Writes.


def test_create_supplier(optiply: OptiplySession, sandbox: Sandbox) -> None:
    response = optiply.create({"name": "Nieuwe Leverancier B.V.", "emails": ["a@b.example"], "remoteId": "1210"})

    assert response.status_code == 201
    resource = response.json()["data"]
    assert resource["type"] == "suppliers"
    assert resource["id"] == "90006"
    attributes = resource["attributes"]
    assert attributes["name"] == "Nieuwe Leverancier B.V."
    assert attributes["emails"] == ["a@b.example"]
    assert attributes["remoteIdMap"] == {str(OPTIPLY_COUPLING_ID): "1210"}
    assert attributes["createdFromPublicApi"] is True
    assert attributes["accountId"] == OPTIPLY_ACCOUNT_ID
    assert "remoteId" not in attributes
    assert sandbox.optiply.suppliers()[-1] == resource
    assert optiply.get("/suppliers/90006").json()["data"] == resource


def test_same_name_twice_creates_two(optiply: OptiplySession, sandbox: Sandbox) -> None:
    first = optiply.create({"name": "Dubbel B.V."})
    second = optiply.create({"name": "Dubbel B.V."})

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["data"]["id"] != second.json()["data"]["id"]
    assert [s["attributes"]["name"] for s in sandbox.optiply.suppliers()].count("Dubbel B.V.") == 2


def test_create_decimals_returned_as_strings(optiply: OptiplySession) -> None:
    response = optiply.create({"name": "Decimalen", "minimumOrderValue": 150, "fixedCosts": "12.5", "deliveryTime": 3})

    attributes = response.json()["data"]["attributes"]
    assert attributes["minimumOrderValue"] == "150.00"
    assert attributes["fixedCosts"] == "12.50"
    assert attributes["deliveryTime"] == 3


@pytest.mark.parametrize(
    ("attributes", "detail_part"),
    [
        ({}, "name is required"),
        ({"name": ""}, "name"),
        ({"name": "x" * 256}, "255"),
        ({"name": "Two\nlines"}, "line breaks"),
        ({"name": "Carriage\rreturn"}, "line breaks"),
        ({"name": "Mail", "emails": ["inkoop@example.com", "not an address"]}, "is not a valid address"),
        ({"name": "Days", "deliveryTime": 0}, "deliveryTime"),
        ({"name": "Days", "userReplenishmentPeriod": 366}, "userReplenishmentPeriod"),
        ({"name": "Kind", "type": "wholesaler"}, "type"),
        ({"name": "GLN", "globalLocationNumber": "123"}, "globalLocationNumber"),
        ({"name": "Flag", "ignored": "yes"}, "ignored"),
        ({"name": "Map", "remoteIdMap": {"7": "1"}}, "read-only"),
    ],
)
def test_create_validation_400(optiply: OptiplySession, sandbox: Sandbox, attributes: dict, detail_part: str) -> None:
    response = optiply.create(attributes)

    assert detail_part in assert_json_api_error(response, 400)
    assert [supplier["id"] for supplier in sandbox.optiply.suppliers()] == SAMPLE_IDS


def test_name_of_255_characters_is_accepted(optiply: OptiplySession) -> None:
    assert optiply.create({"name": "x" * 255}).status_code == 201


@pytest.mark.parametrize(
    "params",
    [{}, {"accountId": OPTIPLY_ACCOUNT_ID}, {"couplingId": OPTIPLY_COUPLING_ID}, {"accountId": "one", "couplingId": 7}],
)
def test_create_needs_account_and_coupling(optiply: OptiplySession, params: dict[str, Any]) -> None:
    assert_json_api_error(optiply.create({"name": "Zonder koppeling"}, params=params), 400)


def test_create_for_other_account_is_403(optiply: OptiplySession) -> None:
    response = optiply.create({"name": "Ander account"}, params={"accountId": 2, "couplingId": 7})

    assert_json_api_error(response, 403)


def test_malformed_documents_are_400(optiply: OptiplySession) -> None:
    url = f"{optiply.sandbox.optiply_api_url}/suppliers"
    bodies = ["not json", json.dumps({"data": []}), json.dumps({"data": {"type": "buyOrders", "attributes": {}}})]

    for body in bodies:
        response = requests.post(url, params=WRITE_PARAMS, data=body, headers=optiply.headers(), timeout=10)
        assert_json_api_error(response, 400)


def test_wrong_content_type_is_415(optiply: OptiplySession) -> None:
    body = {"data": {"type": "suppliers", "attributes": {"name": "Plain JSON"}}}
    headers = {"Authorization": f"Bearer {optiply.token}"}
    url = f"{optiply.sandbox.optiply_api_url}/suppliers"

    response = requests.post(url, params=WRITE_PARAMS, json=body, headers=headers, timeout=10)

    assert_json_api_error(response, 415)


def test_delete_is_405(optiply: OptiplySession) -> None:
    url = f"{optiply.sandbox.optiply_api_url}/suppliers/90001"

    response = requests.delete(url, headers=optiply.headers(), timeout=10)

    assert_json_api_error(response, 405)
    assert optiply.get("/suppliers/90001").status_code == 200


def test_update_supplier(optiply: OptiplySession) -> None:
    response = optiply.update("90004", {"ignored": True, "emails": ["x@y.example"], "remoteId": "1301"})

    assert response.status_code == 200
    attributes = response.json()["data"]["attributes"]
    assert attributes["ignored"] is True
    assert attributes["emails"] == ["x@y.example"]
    assert attributes["remoteIdMap"] == {"7": "1301"}
    assert attributes["name"] == "Nord licht Trading S.a r.l."
    assert optiply.get("/suppliers/90004").json()["data"]["attributes"]["ignored"] is True


def test_update_unknown_or_invalid(optiply: OptiplySession) -> None:
    assert_json_api_error(optiply.update("99999", {"ignored": True}), 404)
    assert "is not a valid address" in assert_json_api_error(optiply.update("90001", {"emails": ["nope"]}), 400)
    assert_json_api_error(optiply.update("90001", {"name": "A\nB"}), 400)


# Faults.


def test_drop_after_commit_stores_write(optiply: OptiplySession, sandbox: Sandbox) -> None:
    sandbox.optiply.faults.add("drop_after_commit", path_prefix="/v1/suppliers")

    with pytest.raises(requests.ConnectionError):
        optiply.create({"name": "Onzeker B.V."})

    assert sandbox.optiply.suppliers()[-1]["attributes"]["name"] == "Onzeker B.V."
    last = sandbox.optiply.requests[-1]
    assert (last.method, last.status, last.dropped, last.fault) == ("POST", 201, True, "drop_after_commit")


def test_drop_does_not_store_write(optiply: OptiplySession, sandbox: Sandbox) -> None:
    sandbox.optiply.faults.add("drop", path_prefix="/v1/suppliers")

    with pytest.raises(requests.ConnectionError):
        optiply.create({"name": "Nooit aangekomen"})

    assert [supplier["id"] for supplier in sandbox.optiply.suppliers()] == SAMPLE_IDS


def test_rate_limit_fault_with_retry_after(optiply: OptiplySession, sandbox: Sandbox) -> None:
    sandbox.optiply.faults.add("rate_limit", retry_after=5)
    sandbox.optiply.faults.add("rate_limit")

    with_header = optiply.create({"name": "Later"})
    without_header = optiply.create({"name": "Later"})

    assert_json_api_error(with_header, 429)
    assert with_header.headers["Retry-After"] == "5"
    assert_json_api_error(without_header, 429)
    assert "Retry-After" not in without_header.headers
    assert [supplier["id"] for supplier in sandbox.optiply.suppliers()] == SAMPLE_IDS


def test_status_html_and_truncated_faults(optiply: OptiplySession, sandbox: Sandbox) -> None:
    sandbox.optiply.faults.add("status", status=503, body="json")
    sandbox.optiply.faults.add("html_500")
    sandbox.optiply.faults.add("truncated_json")

    unavailable = optiply.get("/suppliers")
    html = optiply.get("/suppliers")
    truncated = optiply.get("/suppliers")

    assert_json_api_error(unavailable, 503)
    assert html.status_code == 500
    assert html.headers["Content-Type"].startswith("text/html")
    assert truncated.status_code == 200
    with pytest.raises(ValueError):
        truncated.json()
    assert optiply.get("/suppliers").status_code == 200


def test_fault_on_token_endpoint(sandbox: Sandbox) -> None:
    sandbox.optiply.faults.add("status", status=502, path_prefix="/api/auth")

    assert fetch_token(sandbox).status_code == 502
    assert fetch_token(sandbox).status_code == 200


def test_slow_fault_times_out(optiply: OptiplySession, sandbox: Sandbox) -> None:
    # The server waits 5 s, twenty-five times the client's timeout.
    sandbox.optiply.faults.add("slow", seconds=5)
    url = f"{sandbox.optiply_api_url}/suppliers"

    with pytest.raises(requests.Timeout):
        requests.get(url, headers=optiply.headers(), timeout=0.2)
    assert optiply.get("/suppliers").status_code == 200


# Request log.


def test_request_log_has_bodies_without_password(optiply: OptiplySession, sandbox: Sandbox) -> None:
    optiply.create({"name": "Gelogd B.V."})

    token_request, write = sandbox.optiply.requests
    assert token_request.path == "/api/auth/oauth/token"
    assert token_request.body["password"] != OPTIPLY_PASSWORD
    assert token_request.key_kind == "client"
    assert (write.method, write.path, write.status, write.key_kind) == ("POST", "/v1/suppliers", 201, "token")
    assert write.query == {"accountId": str(OPTIPLY_ACCOUNT_ID), "couplingId": str(OPTIPLY_COUPLING_ID)}
    assert write.body == {"data": {"type": "suppliers", "attributes": {"name": "Gelogd B.V."}}}


def test_control_routes(optiply: OptiplySession, sandbox: Sandbox) -> None:
    root = sandbox.optiply_api_url.removesuffix("/v1")

    added = requests.post(f"{root}/_sandbox/faults", json={"kind": "drop_after_commit", "count": 1}, timeout=10)
    with pytest.raises(requests.ConnectionError):
        optiply.create({"name": "Via control route"})
    logged = requests.get(f"{root}/_sandbox/requests", timeout=10).json()

    assert added.status_code == 201
    assert logged[-1]["dropped"] is True
    assert logged[-1]["status"] == 201


# Persisted state.


def test_state_persists_across_sandboxes(tmp_path: Path) -> None:
    state_file = tmp_path / "state" / "optiply.json"

    with Sandbox(optiply_state_file=state_file) as first:
        created = OptiplySession(first).create({"name": "Blijvend B.V.", "remoteId": "1250"}).json()["data"]
        OptiplySession(first).update("90001", {"ignored": True})
    with Sandbox(optiply_state_file=state_file) as second:
        suppliers = {supplier["id"]: supplier for supplier in second.optiply.suppliers()}
        listed = OptiplySession(second).get("/suppliers")
        next_id = OptiplySession(second).create({"name": "Daarna"}).json()["data"]["id"]

    assert suppliers[created["id"]] == created
    assert suppliers["90001"]["attributes"]["ignored"] is True
    assert created["id"] in ids_of(listed)
    assert int(next_id) == int(created["id"]) + 1
    assert [path.name for path in state_file.parent.iterdir()] == ["optiply.json"]
    assert len(json.loads(state_file.read_text())["data"]) == len(SAMPLE_IDS) + 2


def test_without_state_file_each_sandbox_starts_fresh() -> None:
    with Sandbox() as first:
        OptiplySession(first).create({"name": "Vluchtig"})
    with Sandbox() as second:
        assert [supplier["id"] for supplier in second.optiply.suppliers()] == SAMPLE_IDS


def test_failed_write_leaves_state_file_alone(tmp_path: Path) -> None:
    state_file = tmp_path / "optiply.json"

    with Sandbox(optiply_state_file=state_file) as sandbox:
        assert_json_api_error(OptiplySession(sandbox).create({"name": ""}), 400)

    assert not state_file.exists()
