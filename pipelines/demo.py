"""`picqer-optiply demo`: the whole job against the sandbox and its sample account."""

from __future__ import annotations

import logging
import os
import shutil

from pipelines import job
from pipelines.config import warehouse_path
from pipelines.sandbox import SAMPLE_DIR, Sandbox
from pipelines.warehouse import pipelines_dir

logger = logging.getLogger(__name__)


def run_demo(fresh: bool = False) -> int:
    """Start the sandbox on 127.0.0.1, point the configuration at it and run the job.

    Optiply's sandbox state is kept in a file beside the warehouse, so a second demo run finds the suppliers the
    first one created, as a real account would.
    """
    warehouse = warehouse_path()
    optiply_state = warehouse.with_name(f"{warehouse.stem}-sandbox-optiply.json")
    if fresh:
        _remove_demo_files(warehouse, optiply_state)
    with Sandbox(data_dir=SAMPLE_DIR, optiply_state_file=optiply_state) as sandbox:
        logger.info("Sandbox: Picqer at %s, Optiply at %s", sandbox.picqer_base_url, sandbox.optiply_api_url)
        os.environ.update(sandbox.env())
        return job.run()


def _remove_demo_files(warehouse: "os.PathLike[str]", optiply_state: "os.PathLike[str]") -> None:
    for path in (warehouse, optiply_state):
        if os.path.exists(path):
            logger.info("Removing %s", path)
            os.remove(path)
    working_folder = pipelines_dir(warehouse_path())
    if working_folder.exists():
        shutil.rmtree(working_folder)
