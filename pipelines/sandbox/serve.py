"""Run the sandbox in the foreground: `python -m pipelines.sandbox.serve --help`."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any, Sequence

from pipelines.sandbox.credentials import (
    OPTIPLY_ACCOUNT_ID,
    OPTIPLY_CLIENT_ID,
    OPTIPLY_COUPLING_ID,
    OPTIPLY_USERNAME,
    PICQER_ADMIN_KEY,
    picqer_scoped_key,
)
from pipelines.sandbox.dataset import SAMPLE_DIR
from pipelines.sandbox.server import Sandbox

logger = logging.getLogger(__name__)

DENIED_STATUSES = (401, 403)


def serve(
    data_dir: Path | str = SAMPLE_DIR,
    picqer_port: int = 0,
    optiply_port: int = 0,
    optiply_state_file: Path | str | None = None,
    suppliers_denied_status: int = 401,
    faults: Sequence[dict[str, Any]] = (),
    stop_event: threading.Event | None = None,
) -> None:
    """Serve both fake APIs until SIGINT or SIGTERM (or until `stop_event` is set), then stop cleanly.

    Each fault is a dict with `api` ("picqer" or "optiply"), `kind`, and optionally `path_prefix`, `count` and
    the kind's parameters. Signal handlers can only be installed from the main thread, so callers on another
    thread pass `stop_event` instead.
    """
    if suppliers_denied_status not in DENIED_STATUSES:
        raise ValueError(f"suppliers_denied_status must be 401 or 403, got {suppliers_denied_status}.")
    stop = stop_event if stop_event is not None else threading.Event()
    if stop_event is None:
        _stop_on_signals(stop)

    with Sandbox(
        data_dir=data_dir, optiply_state_file=optiply_state_file, picqer_port=picqer_port, optiply_port=optiply_port
    ) as sandbox:
        sandbox.picqer.settings.suppliers_denied_status = suppliers_denied_status
        for fault in faults:
            _queue_fault(sandbox, fault)
        _log_endpoints(sandbox)
        stop.wait()
        logger.info("Stopping the sandbox")


def _queue_fault(sandbox: Sandbox, fault: dict[str, Any]) -> None:
    params = dict(fault)
    api_name = params.pop("api", None)
    kind = params.pop("kind", None)
    if api_name not in ("picqer", "optiply") or not isinstance(kind, str):
        raise ValueError(f"A fault needs api ('picqer' or 'optiply') and kind, got {fault!r}.")
    api = sandbox.picqer if api_name == "picqer" else sandbox.optiply
    api.faults.add(kind, path_prefix=params.pop("path_prefix", None), count=params.pop("count", 1), **params)
    logger.info("Queued %s fault %s", api_name, fault)


def _log_endpoints(sandbox: Sandbox) -> None:
    # The sandbox keys are public test values, so printing them is safe and saves a look at credentials.py.
    logger.info("Picqer base URL: %s", sandbox.picqer_base_url)
    logger.info("  key %s reads everything (admin key)", PICQER_ADMIN_KEY)
    for customer_id in sandbox.picqer.fulfilment_customer_ids():
        logger.info(
            "  key %s reads the purchase orders of fulfilment client %s, no suppliers (status %s)",
            picqer_scoped_key(customer_id),
            customer_id,
            sandbox.picqer.settings.suppliers_denied_status,
        )
    logger.info("Optiply API URL: %s, token URL: %s", sandbox.optiply_api_url, sandbox.optiply_token_url)
    logger.info(
        "  client id %s, user name %s, account %s, coupling %s (all values: pipelines/sandbox/credentials.py)",
        OPTIPLY_CLIENT_ID,
        OPTIPLY_USERNAME,
        OPTIPLY_ACCOUNT_ID,
        OPTIPLY_COUPLING_ID,
    )
    logger.info("Point the job at the sandbox with these environment variables:")
    for name, value in sandbox.env().items():
        logger.info("  %s=%s", name, value)


def _stop_on_signals(stop: threading.Event) -> None:
    def request_stop(signum: int, frame: FrameType | None) -> None:
        logger.info("Received %s", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.sandbox.serve",
        description="Serve a fake Picqer and a fake Optiply on 127.0.0.1 until Ctrl+C or SIGTERM.",
    )
    add_serve_arguments(parser)
    return parser


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of `picqer-optiply sandbox serve` (and of this module run directly) to `parser`."""
    parser.add_argument(
        "--data",
        "--data-dir",
        dest="data_dir",
        type=Path,
        default=SAMPLE_DIR,
        help="dataset directory in the sample's layout (default: the sample shipped with the package)",
    )
    parser.add_argument(
        "--port",
        "--picqer-port",
        dest="picqer_port",
        type=int,
        default=0,
        help="TCP port of the fake Picqer (default 0: pick a free port)",
    )
    parser.add_argument(
        "--optiply-port", type=int, default=0, help="TCP port of the fake Optiply (default 0: pick a free port)"
    )
    parser.add_argument(
        "--optiply-state-file",
        type=Path,
        default=None,
        help="JSON file that keeps the Optiply suppliers across restarts (default: start from the dataset each time)",
    )
    parser.add_argument(
        "--suppliers-denied-status",
        type=int,
        choices=DENIED_STATUSES,
        default=401,
        help="HTTP status a scoped Picqer key gets on /suppliers (default: 401)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="JSON",
        help='a fault to queue at start, as JSON, for example \'{"api": "picqer", "kind": "status", "status": 503, '
        '"path_prefix": "/purchaseorders", "count": 2}\'; repeatable',
    )


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return serve_from_arguments(build_parser().parse_args(argv))


def serve_from_arguments(arguments: argparse.Namespace) -> int:
    """Serve with the options parsed by `add_serve_arguments`; returns the exit status."""
    try:
        faults = [json.loads(text) for text in arguments.fault]
    except json.JSONDecodeError as error:
        logger.error("Invalid --fault value, expected a JSON object: %s", error)
        return 2
    serve(
        data_dir=arguments.data_dir,
        picqer_port=arguments.picqer_port,
        optiply_port=arguments.optiply_port,
        optiply_state_file=arguments.optiply_state_file,
        suppliers_denied_status=arguments.suppliers_denied_status,
        faults=faults,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
