"""The transform step: `dbt build` of the project at the repository root, against the warehouse file."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parents[1]


class TransformError(RuntimeError):
    """dbt build failed: a model did not build or a data test failed."""


def run_dbt_build(warehouse: Path, extra_args: tuple[str, ...] = ()) -> None:
    """Run `dbt build` in a child process, so that dbt's DuckDB connection is closed when it returns.

    The warehouse is handed over as WAREHOUSE__PATH, the variable profiles.yml reads.
    """
    if not (PROJECT_DIR / "dbt_project.yml").exists():
        raise TransformError(
            f"No dbt project at {PROJECT_DIR}: install picqer-optiply from a checkout of its repository "
            "(pip install -e .)."
        )
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        str(dbt), "build", "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR), *extra_args
    ]
    # dbt needs none of the API settings, so the secrets among them cannot end up in its logs or artifacts.
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(("SOURCES__", "OPTIPLY__"))
    }
    environment["WAREHOUSE__PATH"] = str(warehouse)
    environment["DO_NOT_TRACK"] = "1"
    logger.info("Running dbt build on %s", warehouse)
    completed = subprocess.run(command, cwd=PROJECT_DIR, env=environment, check=False)
    if completed.returncode != 0:
        raise TransformError(
            f"dbt build failed with exit status {completed.returncode}; its output above names the model or test. "
            f"Fix it, then run `picqer-optiply transform` again."
        )
    logger.info("dbt build finished")
