"""The outcome of one export run: counts per action, the failures and the changes made to payloads."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.optiply.payload import PayloadChanges
from pipelines.optiply.plan import PlannedExport


@dataclass
class ExportFailure:
    supplier_key: str
    action: str
    error: str


@dataclass
class ExportResult:
    """Counts of one export run per outcome, or for a dry run the counts it would reach."""

    run_id: str
    dry_run: bool
    created: int = 0
    adopted: int = 0
    updated: int = 0
    ignored: int = 0
    unchanged: int = 0
    failed: int = 0
    failures: list[ExportFailure] = field(default_factory=list)
    plan: list[PlannedExport] = field(default_factory=list)
    payload_changes: PayloadChanges = field(default_factory=PayloadChanges)
