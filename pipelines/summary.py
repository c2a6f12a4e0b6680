"""The short report printed at the end of `run`, read back from the warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from pipelines.warehouse import ANALYTICS_SCHEMA, connect


@dataclass
class RunSummary:
    warehouse: Path
    orders_loaded: Optional[int] = None
    lines_loaded: Optional[int] = None
    key_kind: Optional[str] = None
    key_kind_changed: bool = False
    incremental: Optional[bool] = None
    picqer_requests: Optional[int] = None
    suppliers_by_source: dict[str, int] = field(default_factory=dict)
    name_variants_by_rule: dict[str, int] = field(default_factory=dict)
    export_counts: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False

    def read_marts(self) -> None:
        """Fill the supplier counts from the marts dbt just built."""
        with connect(self.warehouse, read_only=True) as connection:
            self.suppliers_by_source = _counts(
                connection.execute(
                    f"select supplier_source, count(*) from {ANALYTICS_SCHEMA}.dim_suppliers group by all order by 1"
                ).fetchall()
            )
            self.name_variants_by_rule = _counts(
                connection.execute(
                    f"select resolution_rule, count(*) from {ANALYTICS_SCHEMA}.supplier_name_mappings "
                    "group by all order by 1"
                ).fetchall()
            )

    def render(self) -> str:
        lines = ["", "Summary"]
        if self.orders_loaded is not None:
            mode = "incremental" if self.incremental else "full read"
            lines.append(
                f"  Picqer:    {self.orders_loaded} purchase orders and {self.lines_loaded} lines loaded "
                f"({mode}, {self.picqer_requests} requests)"
            )
        if self.key_kind:
            change = " (changed since the last run, accepted)" if self.key_kind_changed else ""
            lines.append(f"  Key kind:  {self.key_kind}{change}")
        if self.suppliers_by_source:
            lines.append(f"  Suppliers: {_join(self.suppliers_by_source)} (total {sum(self.suppliers_by_source.values())})")
        if self.name_variants_by_rule:
            lines.append(f"  Names:     {_join(self.name_variants_by_rule)} (distinct supplier names by rule)")
        if self.export_counts:
            label = "Optiply (dry run, nothing sent)" if self.dry_run else "Optiply"
            lines.append(f"  {label}: {_join(self.export_counts)}")
        lines.append(f"  Warehouse: {self.warehouse}")
        return "\n".join(lines)


def _counts(rows: list[tuple[Any, ...]]) -> dict[str, int]:
    return {str(key): int(count) for key, count in rows}


def _join(counts: dict[str, int]) -> str:
    return ", ".join(f"{key} {count}" for key, count in counts.items())
