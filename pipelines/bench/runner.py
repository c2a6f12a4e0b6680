"""The benchmark's scenarios: generate each account, serve it, and run the measured steps against it."""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

from pipelines.bench.report import BenchmarkReport, ExtractResult, TransformResult
from pipelines.bench.sandbox_process import SandboxProcess
from pipelines.bench.steps import load_optiply, measure_dbt_build, measure_extract, require_concurrency_setting, run_in_child
from pipelines.picqer.settings import PAGE_SIZE
from pipelines.sandbox.scale import CATEGORY_BOTH, CATEGORY_NAME_ONLY, CATEGORY_SHARES, generate_account

logger = logging.getLogger(__name__)

# Name-resolution accounts only load data for dbt, so their sandbox replies without delay or rate limit.
UNTHROTTLED_RATE_LIMIT = 1_000_000
NAME_ORDERS_MARGIN = 1.05


@dataclass(frozen=True)
class BenchmarkOptions:
    small_orders: int
    large_orders: int
    name_counts: tuple[int, ...]
    latency_seconds: float
    rate_limit_per_minute: int
    dbt_timeout_seconds: float
    work_dir: Path
    seed: int
    quick: bool


def run_benchmark(options: BenchmarkOptions) -> BenchmarkReport:
    """Run every scenario and return the figures."""
    require_concurrency_setting()
    report = BenchmarkReport(
        latency_seconds=options.latency_seconds,
        rate_limit_per_minute=options.rate_limit_per_minute,
        quick=options.quick,
    )
    for label, orders in (("small", options.small_orders), ("large", options.large_orders)):
        report.extracts.append(_benchmark_extract(options, label, orders))
    for name_count in options.name_counts:
        report.transforms.append(_benchmark_name_resolution(options, name_count))
    return report


def _benchmark_extract(options: BenchmarkOptions, label: str, orders: int) -> ExtractResult:
    logger.info("Benchmarking the extract of the %s account (%d orders)", label, orders)
    data_dir = generate_account(orders, options.work_dir / f"account-{label}-{orders}", seed=options.seed)
    concurrent_warehouse = options.work_dir / f"{label}-concurrent" / "warehouse.duckdb"
    baseline_warehouse = options.work_dir / f"{label}-one-page" / "warehouse.duckdb"

    # Each run gets a sandbox of its own, so no run starts with a rate-limit window that another run filled.
    with _sandbox(options, data_dir) as sandbox:
        full = run_in_child(measure_extract, concurrent_warehouse, sandbox.env, None)
        full_log = sandbox.picqer_requests()
    with _sandbox(options, data_dir) as sandbox:
        run_in_child(measure_extract, concurrent_warehouse, sandbox.env, None)
        incremental_log = sandbox.picqer_requests()
    with _sandbox(options, data_dir) as sandbox:
        one_page = run_in_child(measure_extract, baseline_warehouse, sandbox.env, 1)

    return ExtractResult(
        label=label,
        orders=orders,
        minimum_requests=minimum_requests(data_dir),
        requests=len(full_log),
        rate_limited_requests=sum(1 for entry in full_log if entry["status"] == 429),
        incremental_order_requests=sum(1 for entry in incremental_log if entry["path"] == "/purchaseorders"),
        concurrent=full,
        one_page=one_page,
    )


def _benchmark_name_resolution(options: BenchmarkOptions, name_count: int) -> TransformResult:
    orders = orders_for_names(name_count)
    logger.info("Benchmarking name resolution with %d distinct names (%d orders)", name_count, orders)
    data_dir = generate_account(
        orders, options.work_dir / f"account-names-{name_count}", seed=options.seed, distinct_names=name_count
    )
    warehouse = options.work_dir / f"names-{name_count}" / "warehouse.duckdb"
    sandbox = SandboxProcess(data_dir, latency_seconds=0.0, rate_limit_per_minute=UNTHROTTLED_RATE_LIMIT)
    with sandbox:
        extract = run_in_child(measure_extract, warehouse, sandbox.env, None)
        run_in_child(load_optiply, warehouse, sandbox.env)
    dbt = run_in_child(measure_dbt_build, warehouse, options.dbt_timeout_seconds)
    return TransformResult(distinct_names=name_count, orders=orders, extract=extract, dbt=dbt)


def minimum_requests(data_dir: Path) -> int:
    """Return the fewest requests a full extract needs: every list page, including the short last one.

    The key probe reads the first page of active suppliers, which the extract reuses, so it adds nothing.
    """
    orders = _count_rows(data_dir / "picqer" / "purchaseorders.json")
    suppliers = json.loads((data_dir / "picqer" / "suppliers.json").read_text(encoding="utf-8"))
    active = sum(1 for supplier in suppliers if supplier.get("active"))
    customers = len(json.loads((data_dir / "picqer" / "fulfilment_customers.json").read_text(encoding="utf-8")))
    return sum(_pages(rows) for rows in (orders, active, len(suppliers) - active, customers))


def orders_for_names(name_count: int) -> int:
    """Return an order count whose orders carry at least `name_count` supplier names in the sample's shares."""
    name_share = CATEGORY_SHARES[CATEGORY_BOTH] + CATEGORY_SHARES[CATEGORY_NAME_ONLY]
    return math.ceil(name_count / name_share * NAME_ORDERS_MARGIN)


def _pages(rows: int) -> int:
    # A full last page does not tell the client that the list ended, so it requests one more, empty page.
    return rows // PAGE_SIZE + 1


def _count_rows(path: Path) -> int:
    # The generator writes one order per line, which avoids parsing 250 MB of JSON only to count it.
    with path.open(encoding="utf-8") as handle:
        return sum(1 for line in handle if line.startswith('{"idpurchaseorder"'))


def _sandbox(options: BenchmarkOptions, data_dir: Path) -> SandboxProcess:
    return SandboxProcess(data_dir, options.latency_seconds, options.rate_limit_per_minute)
