"""The measured steps. Each runs in a fresh child process and returns plain numbers, including its peak memory."""

from __future__ import annotations

import inspect
import json
import logging
import multiprocessing
import os
import resource
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TypeVar

import psutil

from pipelines.config import PicqerConfiguration, resolve_optiply_configuration
from pipelines.optiply.source import load_optiply_suppliers
from pipelines.picqer.client import PicqerClient
from pipelines.picqer.extract import DATASET_NAME, PIPELINE_NAME, extract_picqer
from pipelines.transform import TransformError, run_dbt_build
from pipelines.warehouse import make_pipeline

logger = logging.getLogger(__name__)

# The models that resolve free-text supplier names, matched by name prefix. The intermediate ones are views,
# so most of their work shows up in the tables built on them (supplier_name_mappings, supplier_merge_candidates).
NAME_RESOLUTION_MODEL_PREFIXES = (
    "int_supplier_names__",
    "int_name_suppliers",
    "supplier_name_mappings",
    "supplier_merge_candidates",
)

Result = TypeVar("Result")


class BenchmarkError(RuntimeError):
    """A benchmark step cannot run; the message names what is missing."""


@dataclass
class ExtractMeasurement:
    wall_seconds: float
    """Whole `extract_picqer` call: key probe, paging, normalize and load."""
    normalize_seconds: float
    load_seconds: float
    client_requests: int
    rows: int
    """Rows over all tables that dlt normalized in this run."""
    peak_memory_bytes: int

    @property
    def read_seconds(self) -> float:
        """Time spent outside normalize and load: the key probe and reading every page."""
        return max(0.0, self.wall_seconds - self.normalize_seconds - self.load_seconds)


@dataclass
class DbtMeasurement:
    wall_seconds: float
    name_resolution_seconds: float
    model_seconds: dict[str, float] = field(default_factory=dict)
    peak_memory_bytes: int = 0
    """Peak resident memory of the dbt process."""
    timed_out: bool = False
    """dbt was stopped after the timeout; `wall_seconds` is then the timeout and no model timings exist."""


def run_in_child(function: Callable[..., Result], *args: Any) -> Result:
    """Call `function(*args)` in a freshly spawned process and return its result.

    A fresh process per step makes `ru_maxrss` the peak of that step alone; a forked one would inherit the
    parent's memory.
    """
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def require_concurrency_setting() -> None:
    """Raise BenchmarkError unless the Picqer client and configuration take a page concurrency."""
    if "max_concurrency" not in inspect.signature(PicqerClient).parameters:
        raise BenchmarkError(
            "PicqerClient has no max_concurrency parameter yet, so the one-page-at-a-time baseline cannot be "
            "compared with concurrent paging. Run the benchmark again once the concurrent client is merged."
        )
    if "max_concurrent_requests" not in PicqerConfiguration.__dataclass_fields__:
        raise BenchmarkError(
            "PicqerConfiguration has no max_concurrent_requests setting, so the number of pages extract_picqer "
            "fetches at once cannot be set. Run the benchmark again once the concurrent client is merged."
        )


def measure_extract(warehouse: Path, env: dict[str, str], max_concurrency: int | None) -> ExtractMeasurement:
    """Run the real Picqer extract into `warehouse`; None keeps the configured default concurrency."""
    _configure_child_logging()
    config = PicqerConfiguration(
        api_key=env["SOURCES__PICQER__API_KEY"],
        user_agent=env["SOURCES__PICQER__USER_AGENT"],
        base_url=env["SOURCES__PICQER__BASE_URL"],
    )
    if max_concurrency is not None:
        require_concurrency_setting()
        config.max_concurrent_requests = max_concurrency
    started = time.monotonic()
    result = extract_picqer(warehouse, config)
    wall_seconds = time.monotonic() - started

    # dlt keeps the trace of the last run in the pipeline's working folder.
    trace = make_pipeline(PIPELINE_NAME, DATASET_NAME, warehouse).last_trace
    step_seconds = {
        step.step: (step.finished_at - step.started_at).total_seconds()
        for step in trace.steps
        if step.finished_at is not None
    }
    return ExtractMeasurement(
        wall_seconds=wall_seconds,
        normalize_seconds=step_seconds.get("normalize", 0.0),
        load_seconds=step_seconds.get("load", 0.0),
        client_requests=result.request_count,
        rows=sum(result.row_counts.values()),
        peak_memory_bytes=_peak_memory_bytes(resource.RUSAGE_SELF),
    )


def load_optiply(warehouse: Path, env: dict[str, str]) -> None:
    """Load the sandbox Optiply account's suppliers, which the dbt project reads as a source."""
    _configure_child_logging()
    os.environ.update(env)
    load_optiply_suppliers(warehouse, resolve_optiply_configuration())


def measure_dbt_build(warehouse: Path, timeout_seconds: float) -> DbtMeasurement:
    """Run `dbt build` on `warehouse` and read the per-model timings from its run_results.json.

    dbt is stopped after `timeout_seconds`, because a model that grows faster than linearly can run for hours on
    the largest accounts. The measurement is then marked `timed_out`.
    """
    _configure_child_logging()
    # Set before dbt is stopped, so the failure it causes is known to be the timeout's.
    stopping = threading.Event()
    timer = threading.Timer(timeout_seconds, _stop_child_processes, args=(stopping,))
    with tempfile.TemporaryDirectory(prefix="bench-dbt-") as scratch:
        # A target folder of its own keeps other dbt runs in the checkout from overwriting run_results.json.
        target = Path(scratch) / "target"
        started = time.monotonic()
        timer.start()
        try:
            run_dbt_build(warehouse, target_path=target)
        except TransformError:
            if not stopping.is_set():
                raise
            logger.warning("dbt build on %s stopped after the %.0f s timeout", warehouse, timeout_seconds)
            return DbtMeasurement(
                wall_seconds=timeout_seconds,
                name_resolution_seconds=float("nan"),
                peak_memory_bytes=_peak_memory_bytes(resource.RUSAGE_CHILDREN),
                timed_out=True,
            )
        finally:
            timer.cancel()
        wall_seconds = time.monotonic() - started
        run_results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    model_seconds = {
        entry["unique_id"]: float(entry["execution_time"])
        for entry in run_results["results"]
        if entry["unique_id"].startswith("model.")
    }
    name_models = [
        unique_id for unique_id in model_seconds
        if unique_id.rsplit(".", 1)[-1].startswith(NAME_RESOLUTION_MODEL_PREFIXES)
    ]
    if not name_models:
        raise BenchmarkError(
            f"No name-resolution model (names starting with {', '.join(NAME_RESOLUTION_MODEL_PREFIXES)}) in dbt's "
            "run results; update NAME_RESOLUTION_MODEL_PREFIXES in pipelines/bench/steps.py."
        )
    return DbtMeasurement(
        wall_seconds=wall_seconds,
        name_resolution_seconds=sum(model_seconds[unique_id] for unique_id in name_models),
        model_seconds=model_seconds,
        # dbt ran as this process's only child, so the children's peak is dbt's.
        peak_memory_bytes=_peak_memory_bytes(resource.RUSAGE_CHILDREN),
    )


def _stop_child_processes(stopping: threading.Event) -> None:
    # This step's process starts no child but dbt, so every child is part of the dbt run being stopped.
    stopping.set()
    for child in psutil.Process().children(recursive=True):
        child.kill()


def _peak_memory_bytes(usage_target: int) -> int:
    # Linux reports ru_maxrss in kilobytes.
    return resource.getrusage(usage_target).ru_maxrss * 1024


def _configure_child_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
