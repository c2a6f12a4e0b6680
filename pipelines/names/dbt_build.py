"""Run the production dbt project in-process against a chosen DuckDB file."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from dbt.cli.main import dbtRunner

logger = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parents[2]


class DbtBuildError(RuntimeError):
    """dbt failed to build the selected models; the message names the failed nodes."""


def build_models(warehouse: Path, selector: str, project_dir: Path = PROJECT_DIR) -> None:
    """Run `dbt build --select <selector>` with WAREHOUSE__PATH pointing at `warehouse`.

    dbt's target and log folders go to a temporary folder, so an evaluation never overwrites the compiled
    project or partial-parse state of a dbt run in the same checkout.
    """
    previous_path = os.environ.get("WAREHOUSE__PATH")
    # profiles.yml reads the warehouse path from this variable, and dbt-duckdb needs it absolute.
    os.environ["WAREHOUSE__PATH"] = str(warehouse.resolve())
    try:
        with tempfile.TemporaryDirectory(prefix="dbt-names-") as scratch:
            logger.info("dbt build --select %s on %s", selector, warehouse)
            result = dbtRunner().invoke(
                [
                    "build",
                    "--select", selector,
                    # Only tests whose parents are all selected: a test that also reads an unselected model
                    # would fail on a table this build never made.
                    "--indirect-selection", "cautious",
                    "--project-dir", str(project_dir),
                    "--profiles-dir", str(project_dir),
                    "--target-path", str(Path(scratch) / "target"),
                    "--log-path", str(Path(scratch) / "logs"),
                    "--quiet",
                ]
            )
    finally:
        if previous_path is None:
            os.environ.pop("WAREHOUSE__PATH", None)
        else:
            os.environ["WAREHOUSE__PATH"] = previous_path

    if result.exception is not None:
        raise DbtBuildError(f"dbt build --select {selector} raised: {result.exception}") from result.exception
    if not result.success:
        failed = [
            f"{node_result.node.unique_id} ({node_result.status}): {node_result.message}"
            for node_result in (result.result or [])
            if str(node_result.status) not in ("success", "pass", "skipped")
        ]
        raise DbtBuildError(f"dbt build --select {selector} failed: " + "; ".join(failed))
