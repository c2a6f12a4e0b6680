"""The benchmark command in quick mode, end to end: every figure reported. No speed is asserted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.bench.runner import minimum_requests, orders_for_names
from pipelines.sandbox.dataset import load_dataset
from pipelines.sandbox.scale import generate_account

FIGURE = r"[\d,.]+"


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    work = tmp_path_factory.mktemp("bench")
    docs = work / "benchmarks.md"
    completed = subprocess.run(
        [sys.executable, "-m", "pipelines.bench", "--quick", "--work-dir", str(work / "runs"), "--docs", str(docs)],
        capture_output=True, text=True, check=False,
    )
    return completed, docs


def _table_rows(text: str, heading: str) -> list[list[str]]:
    """Return the body rows of the Markdown table under `heading`, each as a list of cell texts."""
    section = text.split(heading, 1)[1]
    rows = [line for line in section.split("\n\n", 2)[1].splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def test_quick_benchmark_succeeds(quick_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    completed, _ = quick_run
    assert completed.returncode == 0, completed.stderr[-3000:]


def test_quick_extract_table_has_every_figure(quick_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    completed, _ = quick_run
    rows = _table_rows(completed.stdout, "### Extract")
    assert [row[0] for row in rows] == ["small", "large"]
    for row in rows:
        assert len(row) == 12
        for cell in row[1:]:
            assert re.fullmatch(rf"{FIGURE}( s|%|x)?", cell), cell


def test_quick_requests_are_counted(quick_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    completed, _ = quick_run
    small, large = _table_rows(completed.stdout, "### Extract")
    # 150 orders need 2 order pages, 250 need 3; both accounts add supplier and client pages.
    assert int(small[2]) >= int(small[3]) >= 2 + 3
    assert int(large[2]) >= int(large[3]) >= 3 + 3
    assert int(small[11]) >= 1


def test_quick_load_and_transform_tables(quick_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    completed, _ = quick_run
    load_rows = _table_rows(completed.stdout, "### Load")
    assert [row[0] for row in load_rows] == ["small", "large", "20 names", "60 names"]
    for row in load_rows:
        assert int(row[2].replace(",", "")) > 0
        assert row[7].endswith("MiB")
    transform_rows = _table_rows(completed.stdout, "### Transform")
    assert [row[0] for row in transform_rows] == ["20", "60"]
    for row in transform_rows:
        assert re.fullmatch(rf"{FIGURE} s", row[2])
        assert re.fullmatch(rf"{FIGURE} MiB", row[3])
        assert re.fullmatch(rf"{FIGURE} s", row[4])
    assert "for 3x names" in transform_rows[1][5]


def test_quick_targets_listed(quick_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    completed, _ = quick_run
    for target in (
        "of the rate limit (small)",
        "of the minimum (large)",
        "purchase-order requests (small)",
        "peak memory under 1 GiB",
    ):
        assert target in completed.stdout


def test_quick_run_writes_docs_page(quick_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, docs = quick_run
    page = docs.read_text(encoding="utf-8")
    for heading in ("# Benchmarks", "## Machine", "## Figures", "## Targets", "quick smoke run"):
        assert heading in page
    assert re.search(r"- CPU: .+, \d+ logical cores", page)
    assert re.search(r"DuckDB \d+\.\d+\.\d+, dlt \d+\.\d+\.\d+", page)


def test_minimum_requests_counts_every_page(tmp_path: Path) -> None:
    account = generate_account(300, tmp_path / "account", seed=0)
    dataset = load_dataset(account)
    active = sum(1 for supplier in dataset.suppliers if supplier["active"])
    inactive = len(dataset.suppliers) - active
    # 300 orders fill three pages exactly, so the client needs a fourth, empty one to see the end.
    expected = 4 + (active // 100 + 1) + (inactive // 100 + 1) + 1
    assert minimum_requests(account) == expected


def test_orders_for_names_carry_enough_names(tmp_path: Path) -> None:
    orders = orders_for_names(500)
    account = generate_account(orders, tmp_path / "names", distinct_names=500)
    assert (account / "picqer" / "purchaseorders.json").is_file()


def test_unknown_option_rejected() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "pipelines.bench", "--orders-huge", "5"], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 2
    assert "unrecognized arguments" in completed.stderr
