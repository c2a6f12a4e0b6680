"""The `Sandbox` context manager: a fake Picqer and a fake Optiply on 127.0.0.1, each in a daemon thread."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from types import TracebackType

from pipelines.sandbox.credentials import (
    OPTIPLY_ACCOUNT_ID,
    OPTIPLY_CLIENT_ID,
    OPTIPLY_CLIENT_SECRET,
    OPTIPLY_COUPLING_ID,
    OPTIPLY_PASSWORD,
    OPTIPLY_USERNAME,
    PICQER_ADMIN_KEY,
)
from pipelines.sandbox.dataset import SAMPLE_DIR, load_dataset
from pipelines.sandbox.http_server import SandboxHTTPServer
from pipelines.sandbox.optiply_api import API_PREFIX as OPTIPLY_API_PREFIX
from pipelines.sandbox.optiply_api import TOKEN_PATH, OptiplyApi
from pipelines.sandbox.picqer_api import API_PREFIX as PICQER_API_PREFIX
from pipelines.sandbox.picqer_api import PicqerApi

logger = logging.getLogger(__name__)

SANDBOX_USER_AGENT = "picqer-optiply sandbox run (sandbox@example.com)"


class Sandbox:
    """Runs both fake APIs while the `with` block lasts.

    Port 0 picks a free port; any other port is used as given and fails with OSError when it is taken.
    `optiply_state_file`, when given, is where the fake Optiply loads its suppliers from (if the file exists)
    and writes them after every successful write.
    """

    def __init__(
        self,
        data_dir: Path | str = SAMPLE_DIR,
        optiply_state_file: Path | str | None = None,
        picqer_port: int = 0,
        optiply_port: int = 0,
    ) -> None:
        dataset = load_dataset(data_dir)
        self.data_dir = Path(data_dir)
        self.picqer = PicqerApi(dataset)
        self.optiply = OptiplyApi(dataset, Path(optiply_state_file) if optiply_state_file is not None else None)
        self._requested_ports = (picqer_port, optiply_port)
        self._servers: list[SandboxHTTPServer] = []
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Bind both ports and start serving; raise RuntimeError when already started."""
        if self._servers:
            raise RuntimeError("The sandbox is already running.")
        picqer_port, optiply_port = self._requested_ports
        try:
            self._servers.append(SandboxHTTPServer(picqer_port, self.picqer))
            self._servers.append(SandboxHTTPServer(optiply_port, self.optiply))
        except OSError:
            self.stop()
            raise
        for server in self._servers:
            thread = threading.Thread(
                target=server.serve_forever, name=f"sandbox-{server.port}", kwargs={"poll_interval": 0.02}, daemon=True
            )
            thread.start()
            self._threads.append(thread)
        logger.info("Sandbox started: Picqer at %s, Optiply at %s", self.picqer_base_url, self.optiply_api_url)

    def stop(self) -> None:
        """Stop serving and release both ports. Requests still in progress (a slow fault) are abandoned."""
        # serve_forever notices a shutdown request at its next poll, every 20 ms, so stopping is quick.
        for server, thread in zip(self._servers, self._threads):
            server.shutdown()
            thread.join()
        for server in self._servers:
            server.server_close()
        if self._servers:
            logger.info("Sandbox stopped")
        self._servers = []
        self._threads = []

    @property
    def picqer_port(self) -> int:
        return self._running()[0].port

    @property
    def optiply_port(self) -> int:
        return self._running()[1].port

    @property
    def picqer_base_url(self) -> str:
        return f"http://127.0.0.1:{self.picqer_port}{PICQER_API_PREFIX}"

    @property
    def optiply_api_url(self) -> str:
        return f"http://127.0.0.1:{self.optiply_port}{OPTIPLY_API_PREFIX}"

    @property
    def optiply_token_url(self) -> str:
        return f"http://127.0.0.1:{self.optiply_port}{TOKEN_PATH}"

    def env(self) -> dict[str, str]:
        """Return the environment variables that point the job at this sandbox, with the admin Picqer key."""
        return {
            "SOURCES__PICQER__BASE_URL": self.picqer_base_url,
            "SOURCES__PICQER__API_KEY": PICQER_ADMIN_KEY,
            "SOURCES__PICQER__USER_AGENT": SANDBOX_USER_AGENT,
            "OPTIPLY__API_URL": self.optiply_api_url,
            "OPTIPLY__TOKEN_URL": self.optiply_token_url,
            "OPTIPLY__ACCOUNT_ID": str(OPTIPLY_ACCOUNT_ID),
            "OPTIPLY__COUPLING_ID": str(OPTIPLY_COUPLING_ID),
            "OPTIPLY__CLIENT_ID": OPTIPLY_CLIENT_ID,
            "OPTIPLY__CLIENT_SECRET": OPTIPLY_CLIENT_SECRET,
            "OPTIPLY__USERNAME": OPTIPLY_USERNAME,
            "OPTIPLY__PASSWORD": OPTIPLY_PASSWORD,
        }

    def _running(self) -> list[SandboxHTTPServer]:
        if not self._servers:
            raise RuntimeError("The sandbox is not running; use it inside `with Sandbox(...) as sandbox:`.")
        return self._servers
