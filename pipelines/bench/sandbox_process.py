"""A sandbox serving a dataset folder from a child process, with the benchmark's latency and rate limit."""

from __future__ import annotations

import logging
import multiprocessing
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

from pipelines.sandbox.server import Sandbox

logger = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 600.0
"""Reading a 200,000-order dataset takes about 20 s; the rest is headroom for a busy machine."""


class SandboxProcessError(RuntimeError):
    """The sandbox child process failed to start or stopped early."""


class SandboxProcess:
    """Runs `Sandbox(data_dir)` in a spawned child process while the `with` block lasts.

    `env` contains the variables that point the job at it (as `Sandbox.env()` returns them). The Picqer request
    log is read over the sandbox's `/_sandbox/requests` control route.
    """

    def __init__(self, data_dir: Path, latency_seconds: float, rate_limit_per_minute: int) -> None:
        self.data_dir = data_dir
        self.latency_seconds = latency_seconds
        self.rate_limit_per_minute = rate_limit_per_minute
        self.env: dict[str, str] = {}
        self._control_url = ""
        context = multiprocessing.get_context("spawn")
        self._connection, child_connection = context.Pipe()
        self._process = context.Process(
            target=_serve,
            args=(str(data_dir), latency_seconds, rate_limit_per_minute, child_connection),
            name="bench-sandbox",
            daemon=True,
        )

    def __enter__(self) -> SandboxProcess:
        self._process.start()
        if not self._connection.poll(START_TIMEOUT_SECONDS):
            self._stop()
            raise SandboxProcessError(f"The sandbox for {self.data_dir} did not start within {START_TIMEOUT_SECONDS} s.")
        try:
            started: dict[str, Any] = self._connection.recv()
        except EOFError as error:
            self._stop()
            raise SandboxProcessError(f"The sandbox for {self.data_dir} exited before it started; see its log.") from error
        self.env = started["env"]
        self._control_url = started["picqer_control_url"]
        logger.info(
            "Sandbox process %s serves %s (latency %.2f s, %d requests a minute)",
            self._process.pid, self.data_dir, self.latency_seconds, self.rate_limit_per_minute,
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop()

    def picqer_requests(self) -> list[dict[str, Any]]:
        """Return every request the fake Picqer received so far, oldest first."""
        reply = requests.get(f"{self._control_url}/requests", timeout=120)
        reply.raise_for_status()
        entries: list[dict[str, Any]] = reply.json()
        return entries

    def _stop(self) -> None:
        if self._process.is_alive():
            try:
                self._connection.send("stop")
            except (BrokenPipeError, OSError):
                pass
            self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()


def _serve(data_dir: str, latency_seconds: float, rate_limit_per_minute: int, connection: Connection) -> None:
    """Child process: serve `data_dir` until the parent sends anything or closes the pipe."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s sandbox %(name)s: %(message)s")
    with Sandbox(data_dir=data_dir) as sandbox:
        sandbox.picqer.settings.latency_seconds = latency_seconds
        sandbox.picqer.settings.rate_limit_per_minute = rate_limit_per_minute
        connection.send(
            {"env": sandbox.env(), "picqer_control_url": f"http://127.0.0.1:{sandbox.picqer_port}/_sandbox"}
        )
        try:
            connection.recv()
        except EOFError:
            pass
