"""Analyst seeds (overrides, keep-apart pairs) and the legal-form seed, on a scratch copy of the dbt project."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.transform import PROJECT_DIR, TransformError, run_dbt_build
from pipelines.names.raw_tables import RawPurchaseOrder, RawSupplier, write_raw_tables

NAMES = [
    "Lefevre Emballages SARL",
    "Lefevre Emballage",
    "Jansen Transport",
    "Jansen Transport B.V.",
    "Bakker Logistics",
    "Bakker Logsitics",
    "Bakker Logsitics",
    "Holding Noord",
]


def copy_project(destination: Path) -> Path:
    """Copy the dbt project without build output, so its seeds can be edited for one test."""
    for folder in ("models", "macros", "seeds", "tests"):
        shutil.copytree(PROJECT_DIR / folder, destination / folder, ignore=shutil.ignore_patterns("*.py", "data"))
    for file_name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(PROJECT_DIR / file_name, destination / file_name)
    return destination


def build_with_seeds(tmp_path: Path, overrides: str, keep_apart: str) -> dict[str, tuple[str, str]]:
    project = copy_project(tmp_path / "project")
    (project / "seeds" / "supplier_name_overrides.csv").write_text(
        "match_on,supplier_name,supplier_key,picqer_supplier_id,reason\n" + overrides, encoding="utf-8"
    )
    (project / "seeds" / "supplier_keep_apart.csv").write_text(
        "first_name_or_key,second_name_or_key,reason\n" + keep_apart, encoding="utf-8"
    )
    warehouse = tmp_path / "warehouse.duckdb"
    orders = [RawPurchaseOrder(index + 1, name) for index, name in enumerate(NAMES)]
    write_raw_tables(warehouse, orders, [RawSupplier(1263, "LEFEVRE EMBALLAGES S.A.R.L.")])
    run_dbt_build(
        warehouse,
        select="+supplier_name_mappings assert_keep_apart_pairs_not_merged",
        target_path=tmp_path / "target",
        project_dir=project,
    )
    connection = duckdb.connect(str(warehouse))
    try:
        rows = connection.execute(
            "select supplier_name, supplier_key, resolution_rule from analytics.supplier_name_mappings"
        ).fetchall()
    finally:
        connection.close()
    return {name: (key, rule) for name, key, rule in rows}


def test_rules_without_seed_rows(tmp_path: Path) -> None:
    mappings = build_with_seeds(tmp_path, overrides="", keep_apart="")
    assert mappings["Lefevre Emballages SARL"] == ("picqer:1263", "picqer_name_match")
    assert mappings["Lefevre Emballage"] == ("picqer:1263", "typo_match")
    assert mappings["Bakker Logistics"] == ("name:bakker-logsitics", "typo_match")
    assert mappings["Jansen Transport B.V."] == ("name:jansen-transport", "normalised_name_match")


def test_override_wins_over_every_rule(tmp_path: Path) -> None:
    mappings = build_with_seeds(
        tmp_path,
        overrides=(
            "raw_name,Holding Noord,,1263,test: raw name to an idsupplier\n"
            "normalised_name,JANSEN TRANSPORT,name:jansen-logistiek,,test: normalised name to a key\n"
        ),
        keep_apart="",
    )
    assert mappings["Holding Noord"] == ("picqer:1263", "override")
    assert mappings["Jansen Transport"] == ("name:jansen-logistiek", "override")
    assert mappings["Jansen Transport B.V."] == ("name:jansen-logistiek", "override")


def test_keep_apart_blocks_similar_merge(tmp_path: Path) -> None:
    mappings = build_with_seeds(
        tmp_path,
        overrides="",
        keep_apart=(
            "Lefevre Emballage,picqer:1263,test: a different company\n"
            "Bakker Logistics,Bakker Logsitics,test: two companies\n"
        ),
    )
    assert mappings["Lefevre Emballage"] == ("name:lefevre-emballage", "own_supplier")
    assert mappings["Bakker Logistics"][0] != mappings["Bakker Logsitics"][0]


def test_keep_apart_test_fails_on_forced_merge(tmp_path: Path) -> None:
    with pytest.raises(TransformError, match="assert_keep_apart_pairs_not_merged"):
        build_with_seeds(
            tmp_path,
            overrides="raw_name,Holding Noord,,1263,test: forced merge\n",
            keep_apart="Holding Noord,Lefevre Emballages,test: never one supplier\n",
        )


def test_legal_forms_seed_is_up_to_date() -> None:
    script = PROJECT_DIR / "scripts" / "generate_legal_forms.py"
    completed = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr


def test_legal_forms_seed_has_required_forms() -> None:
    seed = (PROJECT_DIR / "seeds" / "legal_forms.csv").read_text(encoding="utf-8")
    for form in ("B.V.", "BVBA", "SPRL", "GmbH", "Ges.m.b.H.", "SARL", "S.à r.l.", "e.K.", "U.A.", "PLC", "Ltd", "ApS"):
        assert f"\n{form}," in seed or f'\n"{form}",' in seed, form
    for country in ("NL", "BE", "DE", "AT", "LU", "FR", "GB", "DK", "CH"):
        assert f",{country}," in seed, country
