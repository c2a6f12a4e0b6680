"""Measure the production supplier-name rules against names labelled with the supplier they really mean.

`evaluate_file(csv_path)` reads `raw_name,true_supplier_key` byte-exact, puts one name-only purchase order per
name into a temporary warehouse, builds `+supplier_name_mappings` with the real dbt project, and compares the
resulting groups with the labels pairwise over all unordered pairs of names:

- a wrong merge is a pair the rules put in one supplier although the labels differ (lowers precision);
- a missed pair is a pair with one label that the rules left in two suppliers (lowers recall).

Names that resolve to 'unknown' are not grouped with anything.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import logging
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.names.raw_tables import RawPurchaseOrder, write_raw_tables
from pipelines.transform import PROJECT_DIR, run_dbt_build

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("raw_name", "true_supplier_key")
UNKNOWN_SUPPLIER_KEY = "unknown"


class LabelledNamesError(ValueError):
    """The labelled-names file is invalid; the message names the file, the row and what to fix."""


@dataclass(frozen=True)
class NamePair:
    first_name: str
    second_name: str
    first_key: str
    second_key: str


@dataclass
class Evaluation:
    """Pairwise result of one evaluation run."""

    name_count: int
    true_pair_count: int
    predicted_pair_count: int
    correct_pair_count: int
    wrong_merges: list[NamePair] = field(default_factory=list)
    missed_pairs: list[NamePair] = field(default_factory=list)
    supplier_keys: dict[str, str] = field(default_factory=dict)

    @property
    def precision(self) -> float:
        # No predicted pair means no wrong merge: precision is perfect by convention.
        return self.correct_pair_count / self.predicted_pair_count if self.predicted_pair_count else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pair_count / self.true_pair_count if self.true_pair_count else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def read_labelled_names(csv_path: Path) -> dict[str, str]:
    """Read `raw_name -> true_supplier_key`, keeping every byte of the names (spaces, NBSP, case)."""
    labels: dict[str, str] = {}
    with csv_path.open(encoding="utf-8", newline="") as labelled_file:
        reader = csv.DictReader(labelled_file)
        missing = [column for column in REQUIRED_COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise LabelledNamesError(
                f"{csv_path}: missing column(s) {', '.join(missing)}; the header must contain raw_name,true_supplier_key."
            )
        for line_number, row in enumerate(reader, start=2):
            raw_name, true_key = row["raw_name"], row["true_supplier_key"]
            if raw_name is None or true_key is None or not true_key.strip():
                raise LabelledNamesError(f"{csv_path} line {line_number}: raw_name and true_supplier_key are required.")
            if labels.get(raw_name, true_key) != true_key:
                raise LabelledNamesError(
                    f"{csv_path} line {line_number}: {raw_name!r} is labelled both {labels[raw_name]!r} and "
                    f"{true_key!r}; keep one label per name."
                )
            labels[raw_name] = true_key
    if not labels:
        raise LabelledNamesError(f"{csv_path}: no labelled names found.")
    return labels


def resolve_names(names: Sequence[str], project_dir: Path = PROJECT_DIR) -> dict[str, str]:
    """Return the supplier key the production dbt rules give each name, when it is the only name on an order."""
    with tempfile.TemporaryDirectory(prefix="names-evaluate-") as scratch:
        warehouse = Path(scratch) / "evaluate.duckdb"
        orders = [RawPurchaseOrder(purchase_order_id=index + 1, supplier_name=name) for index, name in enumerate(names)]
        # No supplier table: the labelled names are measured as name-only suppliers, like a scoped API key.
        write_raw_tables(warehouse, orders, suppliers=None)
        run_dbt_build(
            warehouse,
            select="+supplier_name_mappings",
            target_path=Path(scratch) / "target",
            project_dir=project_dir,
            extra_args=("--quiet",),
        )
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            rows = connection.execute("select supplier_name, supplier_key from analytics.supplier_name_mappings").fetchall()

    supplier_keys = {str(name): str(key) for name, key in rows}
    unmapped = [name for name in names if name not in supplier_keys]
    if unmapped:
        raise RuntimeError(f"supplier_name_mappings has no row for {len(unmapped)} name(s), e.g. {unmapped[0]!r}.")
    return supplier_keys


def score(labels: dict[str, str], supplier_keys: dict[str, str]) -> Evaluation:
    """Compare predicted supplier keys with the labels over all unordered pairs of names."""
    evaluation = Evaluation(
        name_count=len(labels), true_pair_count=0, predicted_pair_count=0, correct_pair_count=0,
        supplier_keys=supplier_keys,
    )
    for first_name, second_name in itertools.combinations(sorted(labels), 2):
        first_key, second_key = supplier_keys[first_name], supplier_keys[second_name]
        same_prediction = first_key == second_key and first_key != UNKNOWN_SUPPLIER_KEY
        same_label = labels[first_name] == labels[second_name]
        pair = NamePair(first_name, second_name, first_key, second_key)
        evaluation.true_pair_count += same_label
        evaluation.predicted_pair_count += same_prediction
        evaluation.correct_pair_count += same_prediction and same_label
        if same_prediction and not same_label:
            evaluation.wrong_merges.append(pair)
        if same_label and not same_prediction:
            evaluation.missed_pairs.append(pair)
    return evaluation


def evaluate_file(csv_path: Path | str, project_dir: Path = PROJECT_DIR) -> Evaluation:
    """Run the production name rules on a labelled-names CSV and score them pairwise."""
    labels = read_labelled_names(Path(csv_path))
    supplier_keys = resolve_names(list(labels), project_dir)
    return score(labels, supplier_keys)


def format_report(evaluation: Evaluation) -> str:
    """Render the wrong merges, the missed pairs and a last line `precision=P recall=R f1=F`."""
    lines = [f"{evaluation.name_count} names, {evaluation.true_pair_count} labelled pairs"]
    lines.append(f"wrong merges: {len(evaluation.wrong_merges)}")
    lines.extend(f"  {pair.first_name!r} + {pair.second_name!r} -> {pair.first_key}" for pair in evaluation.wrong_merges)
    lines.append(f"missed pairs: {len(evaluation.missed_pairs)}")
    lines.extend(
        f"  {pair.first_name!r} -> {pair.first_key} | {pair.second_name!r} -> {pair.second_key}"
        for pair in evaluation.missed_pairs
    )
    lines.append(f"precision={evaluation.precision:.4f} recall={evaluation.recall:.4f} f1={evaluation.f1:.4f}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the evaluation of a labelled-names CSV; exit 2 when the file or the dbt build is invalid."""
    parser = argparse.ArgumentParser(prog="picqer-optiply names evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("csv_path", type=Path, help="UTF-8 CSV with the columns raw_name,true_supplier_key")
    arguments = parser.parse_args(argv)
    try:
        evaluation = evaluate_file(arguments.csv_path)
    except (LabelledNamesError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(format_report(evaluation))
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    sys.exit(main())
