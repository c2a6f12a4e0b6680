"""An extract killed with SIGKILL at any step and started again ends with exactly the sandbox's data."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.sandbox import Sandbox
from pipelines.sandbox.scale import generate_account

REPOSITORY = Path(__file__).resolve().parents[1]
COMMAND = str(Path(sys.executable).with_name("picqer-optiply"))
ORDERS = 3000


@pytest.fixture(scope="module")
def account(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_account(ORDERS, tmp_path_factory.mktemp("account"), seed=7)


def expected_orders(account: Path) -> dict[int, int]:
    """Return the number of lines per purchase order in the dataset."""
    orders = json.loads((account / "picqer" / "purchaseorders.json").read_text(encoding="utf-8"))
    return {order["idpurchaseorder"]: len(order["products"]) for order in orders}


def loaded_orders(warehouse: Path) -> tuple[int, int, dict[int, int]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        order_rows = connection.execute("select count(*) from picqer_raw.purchase_orders").fetchone()[0]
        line_rows = connection.execute("select count(*) from picqer_raw.purchase_orders__products").fetchone()[0]
        lines = dict(
            connection.execute(
                "select orders.idpurchaseorder, count(lines.idpurchaseorder_product) "
                "from picqer_raw.purchase_orders as orders "
                "left join picqer_raw.purchase_orders__products as lines "
                "on orders.idpurchaseorder = lines.idpurchaseorder group by all"
            ).fetchall()
        )
    return order_rows, line_rows, {order: count for order, count in lines.items()}


def start_extract(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [COMMAND, "extract"], cwd=REPOSITORY, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def kill_when_output_contains(process: subprocess.Popen[str], marker: str, timeout: float = 300) -> bool:
    """SIGKILL `process` as soon as a line of its output contains `marker`; return whether it was seen."""
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    for line in process.stdout:
        if marker in line:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            return True
        if time.monotonic() > deadline:
            break
    process.kill()
    process.wait()
    return False


# dlt's progress log prints one header per step; a line with "purchase_orders: " means pages are being extracted.
@pytest.mark.parametrize("marker", ["purchase_orders: ", "Normalize picqer", "Load picqer"])
def test_killed_extract_resumes_exactly(account: Path, tmp_path: Path, marker: str) -> None:
    with Sandbox(data_dir=account) as sandbox:
        sandbox.picqer.settings.latency_seconds = 0.02
        env = {
            **os.environ,
            **sandbox.env(),
            "WAREHOUSE__PATH": str(tmp_path / "warehouse.duckdb"),
            # Unbuffered, so each progress line arrives while its step is still running.
            "PYTHONUNBUFFERED": "1",
        }

        seen = kill_when_output_contains(start_extract(env), marker)
        assert seen, f"the extract never printed {marker!r}"
        completed = subprocess.run(
            [COMMAND, "extract"], cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=600, check=False
        )

    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    expected = expected_orders(account)
    order_rows, line_rows, lines = loaded_orders(tmp_path / "warehouse.duckdb")
    assert order_rows == len(expected), "no order lost or doubled"
    assert line_rows == sum(expected.values()), "no line lost or doubled"
    assert lines == expected
