"""The transform step: `dbt build` of the project at the repository root, against the warehouse file."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

logger = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parents[1]
# dbt statuses of a node that built or passed; anything else fails the build.
SUCCEEDED_STATUSES = ("success", "pass", "skipped", "warn", "no-op")


class TransformError(RuntimeError):
    """dbt build failed: a model did not build or a data test failed."""


def run_dbt_build(
    warehouse: Path,
    select: Optional[str] = None,
    target_path: Optional[Path] = None,
    project_dir: Path = PROJECT_DIR,
    extra_args: tuple[str, ...] = (),
) -> None:
    """Run `dbt build` in a child process, so that dbt's DuckDB connection is closed when it returns.

    The warehouse is handed over as WAREHOUSE__PATH, the variable profiles.yml reads. With `select`, only those
    nodes are built, with the tests whose parents are all selected: a test that also reads an unselected model
    would fail on a table this build never made. A `target_path` of its own (logs go in it too) keeps the build
    from overwriting the compiled project and run_results.json of other dbt runs in the same checkout.
    """
    if not (project_dir / "dbt_project.yml").exists():
        raise TransformError(
            f"No dbt project at {project_dir}: install picqer-optiply from a checkout of its repository "
            "(pip install -e .)."
        )
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt), "build", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)]
    if select is not None:
        command += ["--select", select, "--indirect-selection", "cautious"]
    if target_path is not None:
        command += ["--target-path", str(target_path), "--log-path", str(target_path / "logs")]
    command += extra_args
    # dbt needs none of the API settings, so the secrets among them cannot end up in its logs or artifacts.
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(("SOURCES__", "OPTIPLY__"))
    }
    # dbt-duckdb needs an absolute path.
    environment["WAREHOUSE__PATH"] = str(warehouse.resolve())
    environment["DO_NOT_TRACK"] = "1"
    logger.info("Running dbt build%s on %s", f" --select {select}" if select else "", warehouse)
    started = time.time()
    completed = subprocess.run(command, cwd=project_dir, env=environment, check=False)
    if completed.returncode != 0:
        failed = _failed_nodes(target_path or project_dir / "target", started)
        raise TransformError(
            f"dbt build failed with exit status {completed.returncode}"
            + (f": {'; '.join(failed)}" if failed else "; its output above names the model or test")
            + ". Fix it, then run `picqer-optiply transform` again."
        )
    logger.info("dbt build finished")


def _failed_nodes(target_path: Path, started: float) -> list[str]:
    """Return the nodes that failed in the build that wrote run_results.json after `started`, if it wrote one.

    dbt writes no run_results.json when it fails before running anything, for example on a syntax error. An
    older file would then name the failures of another build, so it is skipped.
    """
    run_results = target_path / "run_results.json"
    if not run_results.exists() or run_results.stat().st_mtime < started:
        return []
    results = json.loads(run_results.read_text(encoding="utf-8")).get("results", [])
    return [
        f"{result['unique_id']} ({result['status']})"
        for result in results
        if result.get("status") not in SUCCEEDED_STATUSES
    ]
