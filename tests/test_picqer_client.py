"""The Picqer client over real HTTP against the sandbox: paging, concurrency, retries and error messages."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from pipelines.picqer.client import PicqerAuthError, PicqerClient, PicqerNotFoundError, PicqerUnavailableError
from pipelines.picqer.settings import PAGE_SIZE
from pipelines.sandbox import SAMPLE_DIR, Sandbox
from pipelines.sandbox.credentials import PICQER_ADMIN_KEY

SAMPLE_ORDERS = json.loads((SAMPLE_DIR / "picqer" / "purchaseorders.json").read_text(encoding="utf-8"))
FULL_PAGES = len(SAMPLE_ORDERS) // PAGE_SIZE
PAGES_NEEDED = FULL_PAGES + 1  # the last page, short or empty, marks the end of the list


@pytest.fixture
def picqer_sandbox():
    with Sandbox(data_dir=SAMPLE_DIR) as sandbox:
        sandbox.picqer.settings.retry_after = 0.05
        yield sandbox


def make_client(sandbox: Sandbox, max_concurrency: int = 4, **options: object) -> PicqerClient:
    return PicqerClient(sandbox.picqer_base_url, PICQER_ADMIN_KEY, "tests (tests@example.com)", max_concurrency, **options)


def read_all(client: PicqerClient) -> list[int]:
    return [order["idpurchaseorder"] for page in client.iter_pages("/purchaseorders") for order in page]


def successful_offsets(sandbox: Sandbox) -> list[str]:
    return [r.query.get("offset") for r in sandbox.picqer.requests if r.path == "/purchaseorders" and r.status == 200]


@pytest.mark.parametrize("max_concurrency", [1, 4])
def test_pages_arrive_in_order_each_read_once(picqer_sandbox: Sandbox, max_concurrency: int) -> None:
    client = make_client(picqer_sandbox, max_concurrency)

    order_ids = read_all(client)

    assert order_ids == [order["idpurchaseorder"] for order in sorted(SAMPLE_ORDERS, key=lambda o: o["idpurchaseorder"])]
    offsets = successful_offsets(picqer_sandbox)
    assert Counter(offsets).most_common(1)[0][1] == 1, "no page is requested twice"
    assert len(offsets) >= PAGES_NEEDED
    assert len(offsets) <= PAGES_NEEDED + max_concurrency - 1


def test_one_page_at_a_time_makes_minimum_requests(picqer_sandbox: Sandbox) -> None:
    client = make_client(picqer_sandbox, max_concurrency=1)
    read_all(client)
    assert client.request_count == PAGES_NEEDED


def test_rate_limited_requests_are_resent_with_same_offset(picqer_sandbox: Sandbox) -> None:
    picqer_sandbox.picqer.faults.add("rate_limit", path_prefix="/purchaseorders", count=6)
    client = make_client(picqer_sandbox)

    order_ids = read_all(client)

    assert len(order_ids) == len(SAMPLE_ORDERS)
    assert len(set(order_ids)) == len(SAMPLE_ORDERS)
    limited = [r.query.get("offset") for r in picqer_sandbox.picqer.requests if r.status == 429]
    assert len(limited) == 6
    offsets = successful_offsets(picqer_sandbox)
    assert all(offset in offsets for offset in limited), "each 429'd offset is sent again"
    assert Counter(offsets).most_common(1)[0][1] == 1


@pytest.mark.parametrize(
    "kind, params",
    [
        ("html_500", {}),
        ("status", {"status": 502}),
        ("status", {"status": 503, "body": "json"}),
        ("status", {"status": 504}),
        ("drop", {}),
        ("truncated_json", {}),
    ],
)
def test_transient_faults_are_retried(picqer_sandbox: Sandbox, kind: str, params: dict) -> None:
    picqer_sandbox.picqer.faults.add(kind, path_prefix="/purchaseorders", count=2, **params)
    client = make_client(picqer_sandbox)

    order_ids = read_all(client)

    assert sorted(order_ids) == sorted(order["idpurchaseorder"] for order in SAMPLE_ORDERS)


def test_timeout_is_retried(picqer_sandbox: Sandbox) -> None:
    picqer_sandbox.picqer.faults.add("slow", path_prefix="/purchaseorders", count=1, seconds=2)
    client = make_client(picqer_sandbox, timeout_seconds=0.5)

    assert len(read_all(client)) == len(SAMPLE_ORDERS)


def test_persistent_failure_gives_up_with_clear_error(picqer_sandbox: Sandbox, monkeypatch) -> None:
    monkeypatch.setattr("pipelines.picqer.client.BACKOFF_BASE_SECONDS", 0.01)
    monkeypatch.setattr("pipelines.picqer.client.BACKOFF_MAX_SECONDS", 0.02)
    picqer_sandbox.picqer.faults.add("html_500", path_prefix="/purchaseorders", count=50)
    client = make_client(picqer_sandbox, max_concurrency=1)

    with pytest.raises(PicqerUnavailableError) as raised:
        read_all(client)

    message = str(raised.value)
    assert "/purchaseorders" in message
    assert "HTTP 500" in message
    assert "HTML page" in message


def test_unauthorised_key_is_named_but_not_printed(picqer_sandbox: Sandbox) -> None:
    client = PicqerClient(picqer_sandbox.picqer_base_url, "not-a-real-key-123", "tests (tests@example.com)")
    with pytest.raises(PicqerAuthError) as raised:
        read_all(client)
    assert "sources.picqer.api_key" in str(raised.value)
    assert "not-a-real-key-123" not in str(raised.value)


def test_missing_list_endpoint_is_an_error_not_empty(picqer_sandbox: Sandbox) -> None:
    client = make_client(picqer_sandbox)
    with pytest.raises(PicqerNotFoundError) as raised:
        list(client.iter_pages("/purchaseorderz"))
    assert "sources.picqer.subdomain" in str(raised.value)


def test_rate_limit_headers_update_the_pacer(picqer_sandbox: Sandbox) -> None:
    picqer_sandbox.picqer.settings.rate_limit_per_minute = 120
    client = make_client(picqer_sandbox)
    read_all(client)
    assert client.pacer.limit == 120
    assert client.pacer.remaining is not None
    assert client.pacer.remaining < 120
