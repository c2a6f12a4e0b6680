"""The benchmark's figures, the targets they are compared with, and their Markdown rendering."""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import version

from pipelines.bench.steps import DbtMeasurement, ExtractMeasurement

MEBIBYTE = 1024 * 1024
GIBIBYTE = 1024 * MEBIBYTE

TARGET_RATE_LIMIT_SHARE = 0.90
TARGET_REQUEST_OVERHEAD = 0.02
TARGET_INCREMENTAL_ORDER_REQUESTS = 3
TARGET_NAME_GROWTH = 15.0
TARGET_PEAK_MEMORY_BYTES = GIBIBYTE
TARGET_MEMORY_ORDERS = 200_000


@dataclass
class ExtractResult:
    """One account read in full twice (pages fetched concurrently, then one at a time) and once incrementally."""

    label: str
    orders: int
    minimum_requests: int
    requests: int
    """Requests the sandbox received during the concurrent full read, rejected ones included."""
    rate_limited_requests: int
    incremental_order_requests: int
    """Requests to /purchaseorders during a second run with nothing changed."""
    concurrent: ExtractMeasurement
    one_page: ExtractMeasurement

    def floor_seconds(self, rate_limit_per_minute: int) -> float:
        """Return the time the minimum number of requests takes at exactly the rate limit."""
        return self.minimum_requests / rate_limit_per_minute * 60

    def rate_limit_share(self, rate_limit_per_minute: int) -> float:
        """Return the request rate of the concurrent read as a share of the rate limit."""
        return self.requests / max(self.concurrent.read_seconds, 1e-9) * 60 / rate_limit_per_minute

    def request_overhead(self) -> float:
        return self.requests / self.minimum_requests - 1


@dataclass
class TransformResult:
    """dbt build on an account with a set number of distinct supplier names."""

    distinct_names: int
    orders: int
    extract: ExtractMeasurement
    dbt: DbtMeasurement


@dataclass
class BenchmarkReport:
    latency_seconds: float
    rate_limit_per_minute: int
    quick: bool
    extracts: list[ExtractResult] = field(default_factory=list)
    transforms: list[TransformResult] = field(default_factory=list)
    measured_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


def render_tables(report: BenchmarkReport) -> str:
    """Return the figures as Markdown tables."""
    limit = report.rate_limit_per_minute
    lines = [
        f"### Extract (sandbox latency {report.latency_seconds:g} s, rate limit {limit} requests a minute)",
        "",
        "| account | orders | requests | minimum | over minimum | 429s | read time | rate-limit floor | share of limit "
        "| one page at a time | speed-up | no-change run: order requests |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in report.extracts:
        lines.append(
            f"| {result.label} | {result.orders:,} | {result.requests:,} | {result.minimum_requests:,} "
            f"| {result.request_overhead():.1%} | {result.rate_limited_requests} "
            f"| {result.concurrent.read_seconds:.1f} s | {result.floor_seconds(limit):.1f} s "
            f"| {result.rate_limit_share(limit):.0%} | {result.one_page.read_seconds:.1f} s "
            f"| {result.one_page.read_seconds / max(result.concurrent.read_seconds, 1e-9):.1f}x "
            f"| {result.incremental_order_requests} |"
        )
    lines += [
        "",
        "### Load (dlt normalize and load, from the pipeline trace)",
        "",
        "| account | orders | rows | normalize | rows/s normalize | load | rows/s load | extract peak memory |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in report.extracts:
        lines.append(_load_row(result.label, result.orders, result.concurrent))
    for transform in report.transforms:
        lines.append(_load_row(f"{transform.distinct_names:,} names", transform.orders, transform.extract))
    lines += [
        "",
        "### Transform and name resolution (dbt build)",
        "",
        "| distinct names | orders | dbt build | dbt peak memory | name-resolution models "
        "| growth from the previous size |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    previous: TransformResult | None = None
    for transform in report.transforms:
        growth = ""
        if previous is not None:
            time_ratio = _ratio(transform.dbt.name_resolution_seconds, previous.dbt.name_resolution_seconds)
            growth = f"{time_ratio} for {transform.distinct_names / previous.distinct_names:g}x names"
        build = f"{transform.dbt.wall_seconds:.1f} s"
        name_seconds = f"{transform.dbt.name_resolution_seconds:.2f} s"
        if transform.dbt.timed_out:
            build = f"timed out after {transform.dbt.wall_seconds:.0f} s"
            name_seconds = growth = "n/a"
        lines.append(
            f"| {transform.distinct_names:,} | {transform.orders:,} | {build} "
            f"| {transform.dbt.peak_memory_bytes / MEBIBYTE:,.0f} MiB | {name_seconds} | {growth} |"
        )
        previous = transform
    return "\n".join(lines) + "\n"


def render_targets(report: BenchmarkReport) -> str:
    """Return one line per target with the measured value and whether it is met."""
    limit = report.rate_limit_per_minute
    lines = ["| target | measured | met |", "| --- | --- | --- |"]
    for result in report.extracts:
        share = result.rate_limit_share(limit)
        lines.append(
            f"| full extract reaches at least {TARGET_RATE_LIMIT_SHARE:.0%} of the rate limit ({result.label}) "
            f"| {share:.0%} | {_met(share >= TARGET_RATE_LIMIT_SHARE)} |"
        )
        overhead = result.request_overhead()
        lines.append(
            f"| requests within {TARGET_REQUEST_OVERHEAD:.0%} of the minimum ({result.label}) "
            f"| {result.requests} for {result.minimum_requests} ({overhead:+.1%}) "
            f"| {_met(overhead <= TARGET_REQUEST_OVERHEAD)} |"
        )
        lines.append(
            f"| no-change run makes at most {TARGET_INCREMENTAL_ORDER_REQUESTS} purchase-order requests "
            f"({result.label}) | {result.incremental_order_requests} "
            f"| {_met(result.incremental_order_requests <= TARGET_INCREMENTAL_ORDER_REQUESTS)} |"
        )

    by_names = {transform.distinct_names: transform for transform in report.transforms}
    for smaller, larger in zip(sorted(by_names), sorted(by_names)[1:]):
        if larger != 10 * smaller:
            continue
        target = f"name resolution for {larger:,} names takes at most {TARGET_NAME_GROWTH:g}x the time of {smaller:,}"
        if by_names[larger].dbt.timed_out:
            timeout = by_names[larger].dbt.wall_seconds
            lines.append(f"| {target} | dbt build timed out after {timeout:.0f} s | {_met(False)} |")
            continue
        larger_seconds = by_names[larger].dbt.name_resolution_seconds
        growth = larger_seconds / max(by_names[smaller].dbt.name_resolution_seconds, 1e-9)
        lines.append(f"| {target} | {growth:.1f}x | {_met(growth <= TARGET_NAME_GROWTH)} |")

    # Each entry: orders and the peak memory of the heaviest step on that account.
    peaks = [(result.orders, result.concurrent.peak_memory_bytes) for result in report.extracts] + [
        (transform.orders, max(transform.extract.peak_memory_bytes, transform.dbt.peak_memory_bytes))
        for transform in report.transforms
    ]
    orders, peak = max(peaks, key=lambda measured: measured[0])
    # Memory does not shrink with more orders, so a peak over the limit on a smaller account already fails.
    if orders >= TARGET_MEMORY_ORDERS or peak >= TARGET_PEAK_MEMORY_BYTES:
        verdict = _met(peak < TARGET_PEAK_MEMORY_BYTES)
    else:
        verdict = "not measured at this size"
    lines.append(
        f"| peak memory under 1 GiB for {TARGET_MEMORY_ORDERS:,} orders | {peak / MEBIBYTE:,.0f} MiB at "
        f"{orders:,} orders | {verdict} |"
    )
    return "\n".join(lines) + "\n"


def render_machine() -> str:
    return (
        f"- CPU: {_cpu_model()}, {os.cpu_count()} logical cores\n"
        f"- RAM: {_total_memory_bytes() / GIBIBYTE:.1f} GiB\n"
        f"- Python {platform.python_version()} on {platform.system()} {platform.release()}\n"
        f"- DuckDB {version('duckdb')}, dlt {version('dlt')}, dbt-core {version('dbt-core')}, "
        f"dbt-duckdb {version('dbt-duckdb')}\n"
    )


def render_document(report: BenchmarkReport, command: str) -> str:
    """Return docs/benchmarks.md: how the figures were made, the machine, the figures and the targets."""
    mode = " (quick smoke run: tiny sizes, figures not representative)" if report.quick else ""
    return (
        "# Benchmarks\n\n"
        "Figures from `make bench` (`python -m pipelines.bench`), which regenerates this page. Every account is "
        "generated by `pipelines/sandbox/scale.py` in the proportions of the sample account and served by the "
        "sandbox on 127.0.0.1 from a separate process. Each measured step runs in a fresh child process, so peak "
        "memory is that step's own `ru_maxrss` (for dbt: the dbt process).\n\n"
        "- Requests are counted in the sandbox's request log; the minimum is one request per list page, "
        "including the short or empty last page, for purchase orders, active and inactive suppliers and "
        "fulfilment clients (the key probe's supplier page is reused).\n"
        "- Read time is the extract's wall time minus dlt's normalize and load steps; the rate-limit floor is the "
        "minimum number of requests at exactly the rate limit. The sandbox counts requests in a sliding "
        "60-second window, so a read of fewer requests than the limit can finish below the floor. The share of "
        "the limit is the requests made (resends after a 429 included) per minute of read time, divided by the "
        "limit.\n"
        "- The one-page-at-a-time baseline is the same extract with `max_concurrent_requests = 1`, on a new "
        "sandbox and warehouse in the same run.\n"
        "- The no-change run is a second extract into the same warehouse with nothing changed.\n"
        "- Name resolution is the sum of dbt's `run_results.json` timings of the models whose names start with "
        "`int_supplier_names__`, `int_name_suppliers`, `supplier_name_mappings` and `supplier_merge_candidates`. "
        "`dbt build` runs on these accounts only, each generated with the given number of distinct supplier "
        "names and extracted without latency or rate limit.\n\n"
        f"Measured {report.measured_at:%Y-%m-%d %H:%M} UTC with `{command}`{mode}.\n\n"
        "## Machine\n\n"
        f"{render_machine()}\n"
        "## Figures\n\n"
        f"{render_tables(report)}\n"
        "## Targets\n\n"
        f"{render_targets(report)}"
    )


def _load_row(label: str, orders: int, extract: ExtractMeasurement) -> str:
    return (
        f"| {label} | {orders:,} | {extract.rows:,} | {extract.normalize_seconds:.1f} s "
        f"| {_rate(extract.rows, extract.normalize_seconds)} | {extract.load_seconds:.1f} s "
        f"| {_rate(extract.rows, extract.load_seconds)} | {extract.peak_memory_bytes / MEBIBYTE:,.0f} MiB |"
    )


def _rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f}" if seconds > 0 else "n/a"


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.1f}x" if base > 0 else "n/a"


def _met(condition: bool) -> str:
    return "yes" if condition else "**no**"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _total_memory_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def python_command() -> str:
    return " ".join(["python -m pipelines.bench", *sys.argv[1:]])
