"""The `picqer-optiply` command line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Callable, Optional, Sequence

from dlt.common.configuration.exceptions import ConfigFieldMissingException, ConfigValueCannotBeCoercedException
from dlt.pipeline.exceptions import PipelineStepFailed

from pipelines import job
from pipelines.config import ConfigurationError, describe_mistyped_setting
from pipelines.optiply.errors import OptiplyError
from pipelines.optiply.plan import PlanError
from pipelines.picqer.client import PicqerError
from pipelines.picqer.key_kind import KeyKindChangedError
from pipelines.sandbox.serve import add_serve_arguments, serve_from_arguments
from pipelines.transform import TransformError
from pipelines.warehouse import WarehouseBusyError

logger = logging.getLogger("picqer_optiply")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIGURATION = 2
EXIT_KEY_KIND_CHANGED = KeyKindChangedError.exit_status
EXIT_EXPORT_INCOMPLETE = 4

EPILOG = """exit status: 0 success; 1 a step failed; 2 a setting is missing or invalid; 3 the Picqer key kind
changed since the last run (nothing was loaded; rerun with --accept-key-change); 4 some suppliers could not be
exported (the rest were, and the next run retries them)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="picqer-optiply",
        description="Load Picqer purchase orders and suppliers into DuckDB, resolve suppliers with dbt and export "
        "them to Optiply. Settings come from .dlt/config.toml, .dlt/secrets.toml and environment variables.",
        epilog=EPILOG,
    )
    parser.add_argument(
        "--warehouse", type=Path, help="DuckDB file to use; overrides [warehouse] path (WAREHOUSE__PATH)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="extract, transform and export, in that order", epilog=EPILOG)
    _add_accept_key_change(run)
    run.add_argument("--dry-run", action="store_true", help="plan the export but send nothing to Optiply")

    extract = commands.add_parser("extract", help="load Picqer and the Optiply suppliers into the warehouse")
    _add_accept_key_change(extract)

    commands.add_parser("transform", help="run dbt build (models, seeds and data tests)")

    export = commands.add_parser("export", help="create and update the suppliers in Optiply")
    export.add_argument("--dry-run", action="store_true", help="print the plan and send nothing")

    demo = commands.add_parser(
        "demo", help="start the sandbox with the sample account on 127.0.0.1 and run the whole job against it"
    )
    demo.add_argument("--fresh", action="store_true", help="delete the warehouse and the sandbox state first")

    sandbox = commands.add_parser("sandbox", help="the fake Picqer and Optiply APIs").add_subparsers(
        dest="sandbox_command", required=True, metavar="SANDBOX_COMMAND"
    )
    serve = sandbox.add_parser("serve", help="serve the fake APIs on 127.0.0.1 until interrupted")
    add_serve_arguments(serve)

    names = commands.add_parser("names", help="supplier-name tools").add_subparsers(
        dest="names_command", required=True, metavar="NAMES_COMMAND"
    )
    evaluate = names.add_parser(
        "evaluate", help="score the production name rules on a labelled CSV (raw_name,true_supplier_key)"
    )
    evaluate.add_argument("file", type=Path, help="labelled CSV file, read byte-exact")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    arguments = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if arguments.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if arguments.warehouse:
        os.environ["WAREHOUSE__PATH"] = str(arguments.warehouse.expanduser().resolve())
    return _run_guarded(lambda: _dispatch(arguments))


def _dispatch(arguments: argparse.Namespace) -> int:
    command = arguments.command
    if command == "run":
        return job.run(accept_key_change=arguments.accept_key_change, dry_run=arguments.dry_run)
    if command == "extract":
        return job.extract(accept_key_change=arguments.accept_key_change)
    if command == "transform":
        return job.transform()
    if command == "export":
        return job.export(dry_run=arguments.dry_run)
    if command == "demo":
        from pipelines.demo import run_demo

        return run_demo(fresh=arguments.fresh)
    if command == "sandbox":
        return serve_from_arguments(arguments)
    if command == "names":
        from pipelines.names.evaluate import main as evaluate_main

        return evaluate_main([str(arguments.file)])
    raise AssertionError(f"unhandled command {command}")


def _run_guarded(step: Callable[[], int]) -> int:
    """Run a command, turning the errors a user can act on into one log line and an exit status."""
    try:
        return step()
    except KeyKindChangedError as error:
        logger.error("%s", error)
        return EXIT_KEY_KIND_CHANGED
    except (ConfigurationError, ConfigFieldMissingException) as error:
        logger.error("Configuration: %s", error)
        return EXIT_CONFIGURATION
    except ConfigValueCannotBeCoercedException as error:
        logger.error("Configuration: %s", describe_mistyped_setting(error.field_name, error.hint))
        return EXIT_CONFIGURATION
    except PipelineStepFailed as error:
        cause = error.__context__ or error.__cause__
        if isinstance(cause, (KeyKindChangedError, ConfigurationError)):
            return _run_guarded(_reraise(cause))
        logger.error("The dlt pipeline failed at step %s: %s", error.step, cause or error)
        return EXIT_FAILED
    except (PicqerError, OptiplyError, PlanError, TransformError, WarehouseBusyError, job.JobError) as error:
        logger.error("%s", error)
        return EXIT_FAILED
    except KeyboardInterrupt:
        logger.error("Interrupted")
        return 130


def _reraise(error: BaseException) -> Callable[[], int]:
    def step() -> int:
        raise error

    return step


def _add_accept_key_change(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--accept-key-change", action="store_true",
        help="carry out a change between an admin and a scoped Picqer key instead of stopping",
    )


if __name__ == "__main__":
    sys.exit(main())
