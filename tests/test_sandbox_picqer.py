"""The fake Picqer over real HTTP: paging, filters, keys, rate limit, faults and the request log."""

from __future__ import annotations

import base64
import http.client
import json
import re
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests

from pipelines.sandbox import SAMPLE_DIR, Sandbox
from pipelines.sandbox.credentials import PICQER_ADMIN_KEY, picqer_scoped_key
from pipelines.sandbox.faults import FaultError

USER_AGENT = "picqer-optiply tests (tests@example.com)"
SAMPLE_ORDERS: list[dict[str, Any]] = json.loads((SAMPLE_DIR / "picqer" / "purchaseorders.json").read_text())
SAMPLE_SUPPLIERS: list[dict[str, Any]] = json.loads((SAMPLE_DIR / "picqer" / "suppliers.json").read_text())
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def picqer_get(
    sandbox: Sandbox, path: str, api_key: str = PICQER_ADMIN_KEY, timeout: float = 10, **params: Any
) -> requests.Response:
    return requests.get(
        f"{sandbox.picqer_base_url}{path}",
        params=params,
        auth=(api_key, "ignored"),
        headers={"User-Agent": USER_AGENT},
        timeout=timeout,
    )


def read_all(sandbox: Sandbox, path: str, api_key: str = PICQER_ADMIN_KEY, **params: Any) -> list[list[dict]]:
    """Read every page of a list endpoint; return the pages, the empty or short last one included."""
    pages = []
    offset = 0
    while True:
        response = picqer_get(sandbox, path, api_key, offset=offset, **params)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        if len(pages[-1]) < 100:
            return pages
        offset += 100


def assert_picqer_error(response: requests.Response, status: int) -> dict:
    assert response.status_code == status
    body = response.json()
    assert body["error"] is True
    assert isinstance(body["error_code"], int)
    assert body["error_message"]
    return body


# Paging and filters.


def test_admin_pages_cover_every_order() -> None:
    with Sandbox() as sandbox:
        pages = read_all(sandbox, "/purchaseorders")

    assert [len(page) for page in pages] == [100] * 15 + [0]
    ids = [order["idpurchaseorder"] for page in pages for order in page]
    assert ids == sorted(order["idpurchaseorder"] for order in SAMPLE_ORDERS)


def test_scoped_key_pages_end_short(sandbox: Sandbox) -> None:
    expected = sorted(order["idpurchaseorder"] for order in SAMPLE_ORDERS if order["idfulfilment_customer"] == 12)

    pages = read_all(sandbox, "/purchaseorders", picqer_scoped_key(12))

    assert [len(page) for page in pages] == [100] * 6 + [75]
    assert len(expected) == 675
    assert [order["idpurchaseorder"] for page in pages for order in page] == expected


def test_orders_embed_products_as_dataset(sandbox: Sandbox) -> None:
    by_id = {order["idpurchaseorder"]: order for order in SAMPLE_ORDERS}

    first_page = picqer_get(sandbox, "/purchaseorders").json()

    for order in first_page:
        assert order == by_id[order["idpurchaseorder"]]


def test_get_single_order(sandbox: Sandbox) -> None:
    order = SAMPLE_ORDERS[0]
    other_client = next(o for o in SAMPLE_ORDERS if o["idfulfilment_customer"] == 15)

    assert picqer_get(sandbox, f"/purchaseorders/{order['idpurchaseorder']}").json() == order
    assert picqer_get(sandbox, f"/purchaseorders/{order['idpurchaseorder']}", picqer_scoped_key(12)).status_code == 200
    assert_picqer_error(
        picqer_get(sandbox, f"/purchaseorders/{other_client['idpurchaseorder']}", picqer_scoped_key(12)), 404
    )
    assert assert_picqer_error(picqer_get(sandbox, "/purchaseorders/1"), 404)["error_code"] == 20


def test_updated_after_exclusive_then_inclusive(sandbox: Sandbox) -> None:
    shared_second, shared_count = Counter(order["updated"] for order in SAMPLE_ORDERS).most_common(1)[0]
    assert shared_count > 1, "the sample should hold orders that share an updated second"
    newer = {order["idpurchaseorder"] for order in SAMPLE_ORDERS if order["updated"] > shared_second}
    at_cutoff = {order["idpurchaseorder"] for order in SAMPLE_ORDERS if order["updated"] == shared_second}

    exclusive = read_all(sandbox, "/purchaseorders", updated_after=shared_second)
    sandbox.picqer.settings.updated_after_inclusive = True
    inclusive = read_all(sandbox, "/purchaseorders", updated_after=shared_second)

    assert {order["idpurchaseorder"] for page in exclusive for order in page} == newer
    assert {order["idpurchaseorder"] for page in inclusive for order in page} == newer | at_cutoff


def test_updated_after_combines_with_scope(sandbox: Sandbox) -> None:
    cutoff = "2025-06-01 00:00:00"
    expected = {
        order["idpurchaseorder"]
        for order in SAMPLE_ORDERS
        if order["idfulfilment_customer"] == 15 and order["updated"] > cutoff
    }

    pages = read_all(sandbox, "/purchaseorders", picqer_scoped_key(15), updated_after=cutoff)

    assert {order["idpurchaseorder"] for page in pages for order in page} == expected


@pytest.mark.parametrize("value", ["24-07-13 00:00:00", "2024-07-13", "2024-07-13T00:00:00", "", "2024-13-01 00:00:00"])
def test_malformed_updated_after_is_400(sandbox: Sandbox, value: str) -> None:
    assert_picqer_error(picqer_get(sandbox, "/purchaseorders", updated_after=value), 400)


def test_invalid_offset_is_400(sandbox: Sandbox) -> None:
    assert_picqer_error(picqer_get(sandbox, "/purchaseorders", offset="-100"), 400)
    assert_picqer_error(picqer_get(sandbox, "/purchaseorders", offset="abc"), 400)


def test_suppliers_active_and_inactive_lists(sandbox: Sandbox) -> None:
    active = [supplier for page in read_all(sandbox, "/suppliers") for supplier in page]
    inactive = [supplier for page in read_all(sandbox, "/suppliers", inactive="true") for supplier in page]

    assert len(active) == sum(1 for supplier in SAMPLE_SUPPLIERS if supplier["active"])
    assert len(inactive) == sum(1 for supplier in SAMPLE_SUPPLIERS if not supplier["active"])
    assert all(supplier["active"] for supplier in active)
    assert not any(supplier["active"] for supplier in inactive)
    assert len(active) + len(inactive) == len(SAMPLE_SUPPLIERS)


def test_removed_supplier_leaves_list(sandbox: Sandbox) -> None:
    removed = next(supplier for supplier in SAMPLE_SUPPLIERS if supplier["active"])

    sandbox.picqer.remove_supplier(removed["idsupplier"])

    listed = {supplier["idsupplier"] for supplier in picqer_get(sandbox, "/suppliers").json()}
    assert removed["idsupplier"] not in listed
    with pytest.raises(KeyError):
        sandbox.picqer.remove_supplier(removed["idsupplier"])


def test_upserted_order_is_served(sandbox: Sandbox) -> None:
    changed = dict(SAMPLE_ORDERS[0], status="cancelled", updated="2030-01-01 10:00:00")
    added = dict(SAMPLE_ORDERS[0], idpurchaseorder=99999, updated="2030-01-01 10:00:01")

    sandbox.picqer.upsert_purchase_order(changed)
    sandbox.picqer.upsert_purchase_order(added)

    newest = picqer_get(sandbox, "/purchaseorders", updated_after="2029-12-31 00:00:00").json()
    assert [order["idpurchaseorder"] for order in newest] == [SAMPLE_ORDERS[0]["idpurchaseorder"], 99999]
    assert newest[0]["status"] == "cancelled"


def test_fulfilment_customers_for_admin(sandbox: Sandbox) -> None:
    customers = picqer_get(sandbox, "/fulfilment/customers").json()

    assert [customer["idfulfilment_customer"] for customer in customers] == [12, 15, 31]


# Keys.


@pytest.mark.parametrize("denied_status", [401, 403])
def test_scoped_key_denied_suppliers(sandbox: Sandbox, denied_status: int) -> None:
    sandbox.picqer.settings.suppliers_denied_status = denied_status

    assert_picqer_error(picqer_get(sandbox, "/suppliers", picqer_scoped_key(12)), denied_status)
    assert_picqer_error(picqer_get(sandbox, "/suppliers", picqer_scoped_key(12), inactive="true"), denied_status)
    assert_picqer_error(picqer_get(sandbox, "/fulfilment/customers", picqer_scoped_key(31)), denied_status)
    assert picqer_get(sandbox, "/purchaseorders", picqer_scoped_key(12)).status_code == 200


@pytest.mark.parametrize("api_key", ["not-a-sandbox-key", picqer_scoped_key(99)])
def test_unknown_key_is_401(sandbox: Sandbox, api_key: str) -> None:
    for path in ("/purchaseorders", "/suppliers", "/fulfilment/customers"):
        assert_picqer_error(picqer_get(sandbox, path, api_key), 401)


def test_revoked_key_is_401_everywhere(sandbox: Sandbox) -> None:
    assert picqer_get(sandbox, "/purchaseorders").status_code == 200

    sandbox.picqer.revoke(PICQER_ADMIN_KEY)

    for path in ("/purchaseorders", "/suppliers", "/fulfilment/customers"):
        assert_picqer_error(picqer_get(sandbox, path), 401)
    assert picqer_get(sandbox, "/purchaseorders", picqer_scoped_key(12)).status_code == 200


def test_missing_credentials_is_401(sandbox: Sandbox) -> None:
    response = requests.get(f"{sandbox.picqer_base_url}/purchaseorders", headers={"User-Agent": USER_AGENT}, timeout=10)

    assert_picqer_error(response, 401)


def test_missing_user_agent_is_400(sandbox: Sandbox) -> None:
    # http.client, because requests and urllib3 add a User-Agent of their own to every request.
    connection = http.client.HTTPConnection("127.0.0.1", sandbox.picqer_port, timeout=10)
    credentials = base64.b64encode(f"{PICQER_ADMIN_KEY}:".encode()).decode()
    connection.request("GET", "/api/v1/purchaseorders", headers={"Authorization": f"Basic {credentials}"})
    response = connection.getresponse()
    body = json.loads(response.read())
    connection.close()

    assert response.status == 400
    assert body["error"] is True
    assert "User-Agent" in body["error_message"]


def test_unknown_paths_are_404(sandbox: Sandbox) -> None:
    assert_picqer_error(picqer_get(sandbox, "/purchaseorderz"), 404)
    wrong_version = sandbox.picqer_base_url.replace("/api/v1", "/api/v9")
    response = requests.get(
        f"{wrong_version}/purchaseorders", auth=(PICQER_ADMIN_KEY, ""), headers={"User-Agent": USER_AGENT}, timeout=10
    )
    assert_picqer_error(response, 404)


def test_write_methods_are_rejected(sandbox: Sandbox) -> None:
    response = requests.post(
        f"{sandbox.picqer_base_url}/purchaseorders",
        json={},
        auth=(PICQER_ADMIN_KEY, ""),
        headers={"User-Agent": USER_AGENT},
        timeout=10,
    )

    assert_picqer_error(response, 405)


# Rate limit.


def test_rate_limit_headers_count_down(sandbox: Sandbox) -> None:
    first = picqer_get(sandbox, "/purchaseorders")
    second = picqer_get(sandbox, "/suppliers")

    assert first.headers["X-RateLimit-Limit"] == "500"
    assert first.headers["X-RateLimit-Remaining"] == "499"
    assert second.headers["X-RateLimit-Remaining"] == "498"
    assert picqer_get(sandbox, "/purchaseorders", picqer_scoped_key(12)).headers["X-RateLimit-Remaining"] == "499"
    assert "X-RateLimit-Remaining" in picqer_get(sandbox, "/nowhere").headers


def test_over_rate_limit_is_429(sandbox: Sandbox) -> None:
    sandbox.picqer.settings.rate_limit_per_minute = 3
    statuses = [picqer_get(sandbox, "/purchaseorders").status_code for _ in range(3)]

    limited = picqer_get(sandbox, "/purchaseorders", offset=100)

    assert statuses == [200, 200, 200]
    assert limited.status_code == 429
    assert limited.json() == {"error": True, "error_code": 28, "error_message": "Rate limit exceeded"}
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert "Retry-After" not in limited.headers
    assert picqer_get(sandbox, "/purchaseorders", picqer_scoped_key(12)).status_code == 200
    assert sandbox.picqer.requests[3].status == 429


def test_retry_after_sent_when_set(sandbox: Sandbox) -> None:
    sandbox.picqer.settings.rate_limit_per_minute = 1
    sandbox.picqer.settings.retry_after = 7
    picqer_get(sandbox, "/purchaseorders")

    limited = picqer_get(sandbox, "/purchaseorders")

    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"


# Faults.


def test_html_500_fault_once(sandbox: Sandbox) -> None:
    sandbox.picqer.faults.add("html_500")

    failed = picqer_get(sandbox, "/purchaseorders")
    recovered = picqer_get(sandbox, "/purchaseorders")

    assert failed.status_code == 500
    assert failed.headers["Content-Type"].startswith("text/html")
    assert "<html>" in failed.text
    assert recovered.status_code == 200


@pytest.mark.parametrize("status", [502, 503, 504])
def test_status_fault_json_and_html(sandbox: Sandbox, status: int) -> None:
    sandbox.picqer.faults.add("status", status=status, body="json")
    sandbox.picqer.faults.add("status", status=status)

    as_json = picqer_get(sandbox, "/purchaseorders")
    as_html = picqer_get(sandbox, "/purchaseorders")

    assert_picqer_error(as_json, status)
    assert as_html.status_code == status
    assert as_html.headers["Content-Type"].startswith("text/html")


def test_rate_limit_fault_is_429(sandbox: Sandbox) -> None:
    sandbox.picqer.faults.add("rate_limit", retry_after=3)

    limited = picqer_get(sandbox, "/purchaseorders")

    assert limited.status_code == 429
    assert limited.json()["error_code"] == 28
    assert limited.headers["Retry-After"] == "3"
    assert limited.headers["X-RateLimit-Limit"] == "500"


def test_drop_fault_closes_connection(sandbox: Sandbox) -> None:
    sandbox.picqer.faults.add("drop")

    with pytest.raises(requests.ConnectionError):
        picqer_get(sandbox, "/purchaseorders")
    assert picqer_get(sandbox, "/purchaseorders").status_code == 200
    assert sandbox.picqer.requests[0].dropped
    assert sandbox.picqer.requests[0].status is None


def test_truncated_json_fault(sandbox: Sandbox) -> None:
    full_length = len(picqer_get(sandbox, "/purchaseorders").content)
    sandbox.picqer.faults.add("truncated_json")

    truncated = picqer_get(sandbox, "/purchaseorders")

    assert truncated.status_code == 200
    assert len(truncated.content) == full_length // 2
    with pytest.raises(ValueError):
        truncated.json()


def test_slow_fault_delays_past_timeout(sandbox: Sandbox) -> None:
    # The server waits 5 s, twenty-five times the client's timeout, so the outcome does not depend on load.
    sandbox.picqer.faults.add("slow", seconds=5)

    with pytest.raises(requests.Timeout):
        picqer_get(sandbox, "/purchaseorders", timeout=0.2)
    assert picqer_get(sandbox, "/purchaseorders").status_code == 200


def test_slow_fault_still_answers(sandbox: Sandbox) -> None:
    sandbox.picqer.faults.add("slow", seconds=0.1)

    response = picqer_get(sandbox, "/purchaseorders")

    assert response.status_code == 200
    assert len(response.json()) == 100


def test_latency_applies_to_every_request(sandbox: Sandbox) -> None:
    sandbox.picqer.settings.latency_seconds = 5

    for _ in range(2):
        with pytest.raises(requests.Timeout):
            picqer_get(sandbox, "/purchaseorders", timeout=0.2)
    sandbox.picqer.settings.latency_seconds = 0
    assert picqer_get(sandbox, "/purchaseorders").status_code == 200


def test_fault_path_prefix_and_count(sandbox: Sandbox) -> None:
    sandbox.picqer.faults.add("html_500", path_prefix="/suppliers", count=2)

    assert picqer_get(sandbox, "/purchaseorders").status_code == 200
    assert picqer_get(sandbox, "/suppliers").status_code == 500
    assert picqer_get(sandbox, "/suppliers", inactive="true").status_code == 500
    assert picqer_get(sandbox, "/suppliers").status_code == 200
    assert sandbox.picqer.faults.pending() == []


def test_invalid_faults_are_rejected(sandbox: Sandbox) -> None:
    with pytest.raises(FaultError):
        sandbox.picqer.faults.add("drop_after_commit")
    with pytest.raises(FaultError):
        sandbox.picqer.faults.add("status", status=500)
    with pytest.raises(FaultError):
        sandbox.picqer.faults.add("html_500", count=0)
    with pytest.raises(FaultError):
        sandbox.picqer.faults.add("html_500", path_prefix="suppliers")


# Request log and control routes.


def test_request_log_records_requests(sandbox: Sandbox) -> None:
    picqer_get(sandbox, "/purchaseorders", offset=100, updated_after="2025-01-01 00:00:00")
    picqer_get(sandbox, "/suppliers", picqer_scoped_key(12))
    picqer_get(sandbox, "/suppliers", "wrong-key")

    first, second, third = sandbox.picqer.requests
    assert (first.method, first.path, first.status, first.key_kind) == ("GET", "/purchaseorders", 200, "admin")
    assert first.query == {"offset": "100", "updated_after": "2025-01-01 00:00:00"}
    assert (second.path, second.status, second.key_kind) == ("/suppliers", 401, "scoped")
    assert (third.status, third["key_kind"]) == (401, "invalid")

    sandbox.picqer.requests.clear()
    assert sandbox.picqer.requests == []


def test_control_routes_add_faults_and_list_requests(sandbox: Sandbox) -> None:
    root = sandbox.picqer_base_url.removesuffix("/api/v1")

    added = requests.post(
        f"{root}/_sandbox/faults", json={"kind": "status", "status": 503, "path_prefix": "/purchaseorders"}, timeout=10
    )
    rejected = requests.post(f"{root}/_sandbox/faults", json={"kind": "explode"}, timeout=10)
    faulted = picqer_get(sandbox, "/purchaseorders")
    logged = requests.get(f"{root}/_sandbox/requests", timeout=10)

    assert added.status_code == 201
    assert rejected.status_code == 400
    assert faulted.status_code == 503
    assert [(entry["path"], entry["status"], entry["fault"]) for entry in logged.json()] == [
        ("/purchaseorders", 503, "status")
    ]


def test_explicit_port_is_used() -> None:
    with Sandbox() as first:
        port = first.picqer_port
    with Sandbox(picqer_port=port) as second:
        assert second.picqer_base_url == f"http://127.0.0.1:{port}/api/v1"
        assert picqer_get(second, "/purchaseorders").status_code == 200


def test_sandbox_env_points_at_servers(sandbox: Sandbox) -> None:
    env = sandbox.env()

    assert env["SOURCES__PICQER__BASE_URL"] == sandbox.picqer_base_url
    assert env["SOURCES__PICQER__API_KEY"] == PICQER_ADMIN_KEY
    assert env["OPTIPLY__API_URL"] == sandbox.optiply_api_url
    assert env["OPTIPLY__TOKEN_URL"] == sandbox.optiply_token_url
    assert all(isinstance(value, str) and value for value in env.values())


def test_serve_command_stops_on_sigterm(tmp_path: Path) -> None:
    fault = json.dumps({"api": "picqer", "kind": "status", "status": 504, "path_prefix": "/purchaseorders"})
    process = subprocess.Popen(
        [sys.executable, "-m", "pipelines.sandbox.serve", "--suppliers-denied-status", "403", "--fault", fault],
        cwd=PROJECT_ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = None
        assert process.stderr is not None
        for line in process.stderr:
            found = re.search(r"Picqer base URL: (\S+)", line)
            if found:
                base_url = found.group(1)
            if "OPTIPLY__PASSWORD=" in line:
                break
        assert base_url is not None
        headers = {"User-Agent": USER_AGENT}
        faulted = requests.get(f"{base_url}/purchaseorders", auth=(PICQER_ADMIN_KEY, ""), headers=headers, timeout=10)
        denied = requests.get(f"{base_url}/suppliers", auth=(picqer_scoped_key(12), ""), headers=headers, timeout=10)

        process.send_signal(signal.SIGTERM)
        return_code = process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert faulted.status_code == 504
    assert denied.status_code == 403
    assert return_code == 0
