"""The Optiply client against the sandbox: tokens, paging, retries and errors."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import requests

from pipelines.config import OptiplyConfiguration
from pipelines.optiply import (
    OptiplyAuthError,
    OptiplyClient,
    OptiplyRequestError,
    OptiplyUncertainWriteError,
    RetryPolicy,
)
from pipelines.optiply.retry import parse_retry_after
from pipelines.sandbox import Sandbox
from pipelines.sandbox.credentials import (
    OPTIPLY_CLIENT_SECRET,
    OPTIPLY_COUPLING_ID,
    OPTIPLY_PASSWORD,
    OPTIPLY_USERNAME,
)
from test_optiply_support import (  # noqa: F401 (fixtures)
    FAST_RETRIES,
    SHORT_TIMEOUT,
    client,
    optiply_config,
    sandbox,
    suppliers_with_remote_id,
    token_requests,
    writes,
)

SAMPLE_SUPPLIER_IDS = [90001, 90002, 90003, 90004, 90005]


def all_suppliers(client: OptiplyClient) -> list[dict]:
    return [resource for page in client.list_suppliers() for resource in page]


def test_list_suppliers_reads_sample(client: OptiplyClient) -> None:
    suppliers = all_suppliers(client)

    assert [int(resource["id"]) for resource in suppliers] == SAMPLE_SUPPLIER_IDS


def test_list_suppliers_pages_by_100(optiply_config: OptiplyConfiguration, tmp_path: Path) -> None:
    state_file = tmp_path / "optiply_state.json"
    resources = [
        {"type": "suppliers", "id": str(number), "attributes": {"name": f"Paging supplier {number}", "remoteIdMap": {}}}
        for number in range(1, 201)
    ]
    state_file.write_text(json.dumps({"data": resources}), encoding="utf-8")

    with Sandbox(optiply_state_file=state_file) as paging_sandbox:
        optiply_config.api_url = paging_sandbox.optiply_api_url
        optiply_config.token_url = paging_sandbox.optiply_token_url
        with OptiplyClient(optiply_config, retry_policy=FAST_RETRIES) as paging_client:
            pages = list(paging_client.list_suppliers())
        gets = [request for request in paging_sandbox.optiply.requests if request.method == "GET"]

    assert [len(page) for page in pages] == [100, 100]
    assert [request.query["page[offset]"] for request in gets] == ["0", "100", "200"]
    assert {request.query["page[limit]"] for request in gets} == {"100"}
    assert {request.query["sort"] for request in gets} == {"id"}
    ids = [int(resource["id"]) for page in pages for resource in page]
    assert ids == list(range(1, 201))


def test_list_suppliers_stops_at_short_page(client: OptiplyClient, sandbox: Sandbox) -> None:
    all_suppliers(client)

    gets = [request for request in sandbox.optiply.requests if request.method == "GET"]
    assert [request.query["page[offset]"] for request in gets] == ["0"]


def test_token_cached_for_the_run(client: OptiplyClient, sandbox: Sandbox) -> None:
    all_suppliers(client)
    client.create_supplier({"name": "Cached token supplier"})
    all_suppliers(client)

    assert len(token_requests(sandbox)) == 1
    token_request = token_requests(sandbox)[0]
    assert token_request.body["grant_type"] == "password"
    assert token_request.body["username"] == OPTIPLY_USERNAME


def test_expired_token_refreshed_once(client: OptiplyClient, sandbox: Sandbox) -> None:
    all_suppliers(client)
    sandbox.optiply.expire_tokens()

    created = client.create_supplier({"name": "After expiry B.V."})

    assert created["attributes"]["name"] == "After expiry B.V."
    assert len(token_requests(sandbox)) == 2
    statuses = [request.status for request in writes(sandbox)]
    assert statuses == [401, 201]


def test_second_401_is_fatal(optiply_config: OptiplyConfiguration, sandbox: Sandbox) -> None:
    # The sandbox revokes every token as soon as it is issued, so the retry with a fresh token fails too.
    session = requests.Session()
    session.hooks["response"].append(
        lambda response, *args, **kwargs: sandbox.optiply.expire_tokens()
        if response.url.endswith("/oauth/token")
        else None
    )
    with OptiplyClient(optiply_config, retry_policy=FAST_RETRIES, session=session) as revoked:
        with pytest.raises(OptiplyAuthError) as raised:
            revoked.create_supplier({"name": "Never created"})

    assert raised.value.status_code == 401
    assert len(token_requests(sandbox)) == 2
    assert [request.status for request in writes(sandbox)] == [401, 401]
    assert all(supplier["attributes"]["name"] != "Never created" for supplier in sandbox.optiply.suppliers())


def test_bad_password_is_auth_error(optiply_config: OptiplyConfiguration, sandbox: Sandbox) -> None:
    optiply_config.password = "wrong-password-value"
    with OptiplyClient(optiply_config, retry_policy=FAST_RETRIES) as wrong:
        with pytest.raises(OptiplyAuthError) as raised:
            all_suppliers(wrong)

    assert raised.value.status_code == 401
    assert "wrong-password-value" not in str(raised.value)
    assert len(token_requests(sandbox)) == 1


def test_writes_carry_account_coupling_and_media_type(client: OptiplyClient, sandbox: Sandbox) -> None:
    created = client.create_supplier({"name": "Remote id supplier", "remoteId": "5001"})
    client.update_supplier(int(created["id"]), {"name": "Remote id supplier renamed", "remoteId": "5001"})

    for request in writes(sandbox):
        assert request.query["accountId"] == "1"
        assert request.query["couplingId"] == str(OPTIPLY_COUPLING_ID)
        assert request.body["data"]["attributes"]["couplingId"] == OPTIPLY_COUPLING_ID
    matches = suppliers_with_remote_id(sandbox, OPTIPLY_COUPLING_ID, "5001")
    assert [supplier["attributes"]["name"] for supplier in matches] == ["Remote id supplier renamed"]


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("rate_limit", {"retry_after": 0}),
        ("rate_limit", {}),
        ("html_500", {}),
        ("status", {"status": 503}),
        ("status", {"status": 502, "body": "json"}),
    ],
)
def test_post_retried_on_transient_reply(
    client: OptiplyClient, sandbox: Sandbox, kind: str, params: dict
) -> None:
    sandbox.optiply.faults.add(kind, path_prefix="/v1/suppliers", count=2, **params)

    created = client.create_supplier({"name": "Retried supplier", "remoteId": "6001"})

    assert [request.status for request in writes(sandbox)][-1] == 201
    assert len(writes(sandbox)) == 3
    matches = suppliers_with_remote_id(sandbox, OPTIPLY_COUPLING_ID, "6001")
    assert [supplier["id"] for supplier in matches] == [created["id"]]


def test_mixed_faults_end_in_one_supplier(client: OptiplyClient, sandbox: Sandbox) -> None:
    sandbox.optiply.faults.add("rate_limit", path_prefix="/v1/suppliers", retry_after=0)
    sandbox.optiply.faults.add("html_500", path_prefix="/v1/suppliers")
    sandbox.optiply.faults.add("status", path_prefix="/v1/suppliers", status=503)

    client.create_supplier({"name": "Mixed faults B.V.", "remoteId": "6002"})

    assert [request.status for request in writes(sandbox)] == [429, 500, 503, 201]
    assert len(suppliers_with_remote_id(sandbox, OPTIPLY_COUPLING_ID, "6002")) == 1
    assert len(sandbox.optiply.suppliers()) == 6


def test_retries_are_bounded(client: OptiplyClient, sandbox: Sandbox) -> None:
    sandbox.optiply.faults.add("html_500", path_prefix="/v1/suppliers", count=10)

    with pytest.raises(OptiplyRequestError) as raised:
        client.create_supplier({"name": "Never created"})

    assert raised.value.status_code == 500
    assert "<" in raised.value.api_message  # the raw HTML page, as no JSON message exists
    assert len(writes(sandbox)) == FAST_RETRIES.max_attempts
    assert len(sandbox.optiply.suppliers()) == 5


def test_long_retry_after_not_waited(client: OptiplyClient, sandbox: Sandbox) -> None:
    sandbox.optiply.faults.add("rate_limit", path_prefix="/v1/suppliers", retry_after=3600)

    with pytest.raises(OptiplyRequestError) as raised:
        all_suppliers(client)

    assert raised.value.status_code == 429
    assert "Too many requests" in raised.value.api_message


def test_invalid_email_reported(client: OptiplyClient, sandbox: Sandbox) -> None:
    with pytest.raises(OptiplyRequestError) as raised:
        client.create_supplier({"name": "Bad mail B.V.", "emails": ["orders(at)badmail"]})

    assert raised.value.status_code == 400
    assert raised.value.is_rejection
    assert "orders(at)badmail is not a valid address" in str(raised.value)
    assert len(writes(sandbox)) == 1  # a 400 is not retried
    assert len(sandbox.optiply.suppliers()) == 5


def test_unknown_supplier_patch_is_404(client: OptiplyClient, sandbox: Sandbox) -> None:
    with pytest.raises(OptiplyRequestError) as raised:
        client.update_supplier(123456, {"name": "Nobody"})

    assert raised.value.status_code == 404
    assert "Supplier 123456 not found" in raised.value.api_message


def test_wrong_account_is_auth_error(optiply_config: OptiplyConfiguration, sandbox: Sandbox) -> None:
    optiply_config.account_id = 2
    with OptiplyClient(optiply_config, retry_policy=FAST_RETRIES) as other_account:
        with pytest.raises(OptiplyAuthError) as raised:
            other_account.create_supplier({"name": "Other account"})

    assert raised.value.status_code == 403


def test_dropped_post_not_resent(client: OptiplyClient, sandbox: Sandbox) -> None:
    sandbox.optiply.faults.add("drop_after_commit", path_prefix="/v1/suppliers")

    with pytest.raises(OptiplyUncertainWriteError):
        client.create_supplier({"name": "Committed then dropped", "remoteId": "7001"})

    assert len(writes(sandbox)) == 1
    assert len(suppliers_with_remote_id(sandbox, OPTIPLY_COUPLING_ID, "7001")) == 1


def test_dropped_get_retried(client: OptiplyClient, sandbox: Sandbox) -> None:
    sandbox.optiply.faults.add("drop", path_prefix="/v1/suppliers", count=2)

    suppliers = all_suppliers(client)

    assert len(suppliers) == 5
    gets = [request for request in sandbox.optiply.requests if request.method == "GET"]
    assert [request.dropped for request in gets] == [True, True, False]


def test_dropped_patch_retried(client: OptiplyClient, sandbox: Sandbox) -> None:
    sandbox.optiply.faults.add("drop_after_commit", path_prefix="/v1/suppliers/90001")

    updated = client.update_supplier(90001, {"ignored": True})

    assert updated["attributes"]["ignored"] is True
    assert len(writes(sandbox)) == 2


def test_read_timeout_retried(client: OptiplyClient, sandbox: Sandbox) -> None:
    sandbox.optiply.faults.add("slow", path_prefix="/v1/suppliers", seconds=SHORT_TIMEOUT[1] + 1.5)

    suppliers = all_suppliers(client)

    assert len(suppliers) == 5


def test_no_secret_in_logs(
    optiply_config: OptiplyConfiguration, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with OptiplyClient(optiply_config, retry_policy=FAST_RETRIES, timeout=SHORT_TIMEOUT) as traced:
        all_suppliers(traced)
        sandbox.optiply.expire_tokens()
        sandbox.optiply.faults.add("rate_limit", path_prefix="/v1/suppliers", retry_after=0)
        with pytest.raises(OptiplyRequestError) as raised:
            traced.create_supplier({"name": "Bad mail", "emails": ["nope"]})
        token = traced._tokens.token()  # the cached token, read without a new request

    secrets = [OPTIPLY_CLIENT_SECRET, OPTIPLY_PASSWORD, OPTIPLY_USERNAME, token]
    assert "retrying" in caplog.text
    for secret in secrets:
        assert secret not in caplog.text
        assert secret not in str(raised.value)


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("", None), ("7", 7.0), ("1.5", 1.5), ("-3", 0.0), ("soon", None),
     ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0)],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_retry_policy_backoff_grows_to_max() -> None:
    policy = RetryPolicy(initial_delay=1.0, max_delay=5.0)

    assert [policy.backoff(attempt) for attempt in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]


def test_retry_policy_rejects_zero_attempts() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
