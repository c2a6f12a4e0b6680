"""`python -m pipelines.bench`: run the benchmark, print its tables and rewrite docs/benchmarks.md."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from pipelines.bench.report import python_command, render_document, render_tables, render_targets
from pipelines.bench.runner import BenchmarkOptions, run_benchmark
from pipelines.bench.steps import BenchmarkError

logger = logging.getLogger(__name__)

DOCS_PATH = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
# Sizes of the quick smoke run: big enough for two pages of orders, small enough to finish in about a minute.
QUICK_ORDERS = (150, 250)
QUICK_NAME_COUNTS = (20, 60)
QUICK_LATENCY_SECONDS = 0.01


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.bench",
        description=(
            "Benchmark the extract, load, dbt build and name resolution on generated accounts served by the "
            "sandbox, print Markdown tables and rewrite docs/benchmarks.md."
        ),
    )
    parser.add_argument("--orders-small", type=int, default=2_000, help="orders in the small account (default 2000)")
    parser.add_argument(
        "--orders-large",
        type=int,
        default=50_000,
        help="orders in the large account (default 50000: 500 pages, a 60 s floor at 500 requests a minute); "
        "use 200000 for the memory target, with a higher --rate-limit",
    )
    parser.add_argument(
        "--name-counts",
        type=lambda text: tuple(int(part) for part in text.split(",")),
        default=(1_000, 10_000, 100_000),
        help="comma-separated distinct supplier-name counts for the name-resolution runs (default 1000,10000,100000)",
    )
    parser.add_argument(
        "--latency", type=float, default=0.3, help="seconds the sandbox Picqer waits before each reply (default 0.3)"
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=500,
        help="requests a minute the sandbox Picqer accepts per key (default 500, Picqer's documented limit)",
    )
    parser.add_argument(
        "--dbt-timeout",
        type=float,
        default=600.0,
        help="seconds after which a dbt build is stopped and reported as timed out (default 600)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated accounts (default 0)")
    parser.add_argument(
        "--work-dir", type=Path, default=None, help="folder for accounts and warehouses (default: a temporary folder)"
    )
    parser.add_argument(
        "--docs", type=Path, default=DOCS_PATH, help=f"Markdown page to rewrite (default {DOCS_PATH})"
    )
    parser.add_argument("--no-docs", action="store_true", help="print the tables without rewriting the page")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run on tiny accounts ({QUICK_ORDERS[0]} and {QUICK_ORDERS[1]} orders, "
        f"{','.join(map(str, QUICK_NAME_COUNTS))} names, {QUICK_LATENCY_SECONDS} s latency); overrides the sizes",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    arguments = build_parser().parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="picqer-optiply-bench-") as scratch:
        options = _options(arguments, arguments.work_dir or Path(scratch))
        try:
            report = run_benchmark(options)
        except BenchmarkError as error:
            logger.error("%s", error)
            return 1
    print(render_tables(report))
    print(render_targets(report))
    if not arguments.no_docs:
        arguments.docs.parent.mkdir(parents=True, exist_ok=True)
        arguments.docs.write_text(render_document(report, python_command()), encoding="utf-8")
        logger.info("Wrote %s", arguments.docs)
    return 0


def _options(arguments: argparse.Namespace, work_dir: Path) -> BenchmarkOptions:
    if arguments.quick:
        return BenchmarkOptions(
            small_orders=QUICK_ORDERS[0],
            large_orders=QUICK_ORDERS[1],
            name_counts=QUICK_NAME_COUNTS,
            latency_seconds=QUICK_LATENCY_SECONDS,
            rate_limit_per_minute=arguments.rate_limit,
            dbt_timeout_seconds=arguments.dbt_timeout,
            work_dir=work_dir.resolve(),
            seed=arguments.seed,
            quick=True,
        )
    return BenchmarkOptions(
        small_orders=arguments.orders_small,
        large_orders=arguments.orders_large,
        name_counts=tuple(sorted(arguments.name_counts)),
        latency_seconds=arguments.latency,
        rate_limit_per_minute=arguments.rate_limit,
        dbt_timeout_seconds=arguments.dbt_timeout,
        work_dir=work_dir.resolve(),
        seed=arguments.seed,
        quick=False,
    )


if __name__ == "__main__":
    sys.exit(main())
