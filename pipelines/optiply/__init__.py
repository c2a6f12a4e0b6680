"""Optiply: the API client, the `optiply` dlt source and the supplier exporter."""

from pipelines.optiply.client import OptiplyClient
from pipelines.optiply.errors import (
    OptiplyAuthError,
    OptiplyError,
    OptiplyExportStoppedError,
    OptiplyRequestError,
    OptiplyUncertainWriteError,
)
from pipelines.optiply.exporter import ExportResult, export_suppliers, format_plan
from pipelines.optiply.retry import RetryPolicy
from pipelines.optiply.source import load_optiply_suppliers, optiply_source

__all__ = [
    "ExportResult",
    "OptiplyAuthError",
    "OptiplyClient",
    "OptiplyError",
    "OptiplyExportStoppedError",
    "OptiplyRequestError",
    "OptiplyUncertainWriteError",
    "RetryPolicy",
    "export_suppliers",
    "format_plan",
    "load_optiply_suppliers",
    "optiply_source",
]
