"""Exported name suppliers keep their key, through the real dbt project on a temporary DuckDB.

Each linked key below belongs to a supplier that an earlier build exported under a key today's rules no longer
give (an older normaliser, or two groups a new spelling now bridges). The test writes the raw Picqer tables, the
Optiply supplier table and the link table the exporter keeps, then runs `dbt build`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest

from pipelines.transform import run_dbt_build
from pipelines.names.raw_tables import RawPurchaseOrder, RawSupplier, write_raw_tables

SELECTOR = "+int_purchase_orders__supplier_keys +dim_suppliers +supplier_name_mappings"

# Name-only purchase orders, one per entry.
ORDER_NAMES = [
    "Vos Gereedschap B.V.",
    "Vos Gereedschap B.V.",
    "Vos Gereedschap",
    "Bakker en Zonen B.V.",
    "Jansen Transport B.V.",
    "Jansen Transport B.V.",
    "Jansen Transport B.V.",
    "Jansen Transport BVBA",
    "Jansen Transport",
    "Peters Bouw B.V.",
    "Peters Bouw GmbH",
    "Euro Packaging Ltd",
    "Kroon B.V., De",
    "Peeters BV",
    "Maes NV",
    "Hoekstra Kunststoffen",
    "---",
]

PICQER_SUPPLIERS = [RawSupplier(1, "Hoekstra Kunststoffen B.V.")]


@dataclass(frozen=True)
class Link:
    supplier_key: str
    optiply_supplier_id: int
    # The name the Optiply supplier has; None when Optiply has not been read.
    optiply_name: str | None
    linked_at: datetime


def first_of_month(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=timezone.utc)


LINKS = [
    # The older key spells a name that no longer normalises to anything typed; the Optiply name matches.
    Link("name:vos-gereedschap-nederland-bv", 101, "Vos Gereedschap B.V.", first_of_month(2024, 1)),
    # An older normaliser kept the legal form; the key read back as a name matches. Optiply was not read.
    Link("name:bakker-en-zonen-bv", 102, None, first_of_month(2024, 1)),
    # "Jansen Transport" bridges the two: the supplier with more orders on its Optiply name keeps its key.
    Link("name:jansen-transport-bv", 103, "Jansen Transport B.V.", first_of_month(2024, 3)),
    Link("name:jansen-transport-bvba", 104, "Jansen Transport BVBA", first_of_month(2023, 6)),
    # The same number of orders: the older link wins.
    Link("name:peters-bouw-bv", 105, "Peters Bouw B.V.", first_of_month(2024, 2)),
    Link("name:peters-bouw-gmbh", 106, "Peters Bouw GmbH", first_of_month(2023, 1)),
    # Today's key is linked itself, so the older link does not replace it.
    Link("name:de-kroon", 107, "De Kroon", first_of_month(2024, 1)),
    Link("name:de-kroon-bv", 108, "Kroon B.V., De", first_of_month(2023, 1)),
    # The key points at one supplier and the Optiply name at another: no match.
    Link("name:peeters-bv", 109, "Maes NV", first_of_month(2024, 1)),
    # A 'picqer:' key and 'unknown' are never replaced.
    Link("name:hoekstra-kunststoffen-bv", 110, "Hoekstra Kunststoffen", first_of_month(2024, 1)),
    Link("name:dash-supplier", 111, "---", first_of_month(2024, 1)),
]

OPTIPLY_SUPPLIERS_DDL = """
create table optiply_raw.suppliers (
    id bigint, name varchar, remote_id varchar, remote_id_map json, emails json, ignored boolean,
    created_from_public_api boolean, delivery_time integer, user_replenishment_period integer,
    minimum_order_value varchar, fixed_costs varchar, type varchar, account_id bigint
)
"""

# Same columns as the create_sync_tables macro; dbt's on-run-start hook leaves an existing table as it is.
SUPPLIER_LINKS_DDL = """
create table optiply_sync.supplier_links (
    supplier_key varchar primary key, optiply_supplier_id bigint not null unique, remote_id varchar not null,
    payload_hash varchar not null, link_origin varchar not null, linked_at timestamptz not null,
    sent_at timestamptz
)
"""


def write_optiply_tables(warehouse: Path, links: list[Link]) -> None:
    connection = duckdb.connect(str(warehouse))
    try:
        # stg_picqer__suppliers reads dlt's load id, which write_raw_tables does not create yet.
        connection.execute("alter table picqer_raw.suppliers add column if not exists _dlt_load_id varchar default '1704099600'")
        connection.execute("create schema optiply_raw")
        connection.execute(OPTIPLY_SUPPLIERS_DDL)
        connection.execute("create schema optiply_sync")
        connection.execute(SUPPLIER_LINKS_DDL)
        # executemany rejects an empty list, and the build without links has none.
        for link in links:
            connection.execute(
                "insert into optiply_sync.supplier_links values (?, ?, ?, 'hash', 'created', ?, ?)",
                [link.supplier_key, link.optiply_supplier_id, link.supplier_key, link.linked_at, link.linked_at],
            )
            if link.optiply_name is not None:
                connection.execute(
                    "insert into optiply_raw.suppliers (id, name, remote_id, created_from_public_api) "
                    "values (?, ?, ?, true)",
                    [link.optiply_supplier_id, link.optiply_name, link.supplier_key],
                )
    finally:
        connection.close()


@dataclass(frozen=True)
class Build:
    order_keys: dict[str, set[str]]
    dimension_keys: set[str]
    mappings: dict[str, tuple[str, str, str, str | None]]


def build(warehouse: Path, links: list[Link]) -> Build:
    orders = [RawPurchaseOrder(index + 1, name) for index, name in enumerate(ORDER_NAMES)]
    write_raw_tables(warehouse, orders, PICQER_SUPPLIERS)
    write_optiply_tables(warehouse, links)
    run_dbt_build(warehouse, select=SELECTOR, target_path=warehouse.parent / "target")

    connection = duckdb.connect(str(warehouse))
    try:
        order_rows = connection.execute(
            "select orders.supplier_name, keys.supplier_key "
            "from analytics.int_purchase_orders__supplier_keys as keys "
            "inner join analytics.stg_picqer__purchase_orders as orders using (purchase_order_id)"
        ).fetchall()
        dimension_rows = connection.execute("select supplier_key from analytics.dim_suppliers").fetchall()
        mapping_rows = connection.execute(
            "select supplier_name, supplier_key, derived_supplier_key, key_origin, previous_supplier_key "
            "from analytics.supplier_name_mappings"
        ).fetchall()
    finally:
        connection.close()

    order_keys: dict[str, set[str]] = {}
    for name, key in order_rows:
        order_keys.setdefault(name, set()).add(key)
    return Build(
        order_keys=order_keys,
        dimension_keys={key for (key,) in dimension_rows},
        mappings={name: (key, derived, origin, previous) for name, key, derived, origin, previous in mapping_rows},
    )


@pytest.fixture(scope="module")
def linked_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    return build(tmp_path_factory.mktemp("stable-keys") / "warehouse.duckdb", LINKS)


@pytest.fixture(scope="module")
def unlinked_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    return build(tmp_path_factory.mktemp("derived-keys") / "warehouse.duckdb", [])


def test_without_links_keys_are_derived(unlinked_build: Build) -> None:
    assert unlinked_build.order_keys["Vos Gereedschap B.V."] == {"name:vos-gereedschap"}
    assert unlinked_build.order_keys["Jansen Transport BVBA"] == {"name:jansen-transport"}
    assert unlinked_build.order_keys["Bakker en Zonen B.V."] == {"name:bakker-en-zonen"}
    assert {origin for _, _, origin, _ in unlinked_build.mappings.values()} == {"derived"}


def test_optiply_name_keeps_linked_key(linked_build: Build) -> None:
    assert linked_build.order_keys["Vos Gereedschap B.V."] == {"name:vos-gereedschap-nederland-bv"}
    assert linked_build.order_keys["Vos Gereedschap"] == {"name:vos-gereedschap-nederland-bv"}
    assert "name:vos-gereedschap-nederland-bv" in linked_build.dimension_keys
    assert "name:vos-gereedschap" not in linked_build.dimension_keys
    assert linked_build.mappings["Vos Gereedschap"] == (
        "name:vos-gereedschap-nederland-bv", "name:vos-gereedschap", "kept_from_link", None
    )


def test_linked_key_name_keeps_key(linked_build: Build) -> None:
    assert linked_build.order_keys["Bakker en Zonen B.V."] == {"name:bakker-en-zonen-bv"}
    assert "name:bakker-en-zonen-bv" in linked_build.dimension_keys
    assert "name:bakker-en-zonen" not in linked_build.dimension_keys


def test_bridging_spelling_keeps_one_key(linked_build: Build) -> None:
    for name in ("Jansen Transport B.V.", "Jansen Transport BVBA", "Jansen Transport"):
        assert linked_build.order_keys[name] == {"name:jansen-transport-bv"}, name
        assert linked_build.mappings[name] == (
            "name:jansen-transport-bv", "name:jansen-transport", "kept_from_link", "name:jansen-transport-bvba"
        ), name
    assert "name:jansen-transport-bvba" not in linked_build.dimension_keys
    assert "name:jansen-transport" not in linked_build.dimension_keys


def test_bridging_tie_keeps_oldest_link(linked_build: Build) -> None:
    assert linked_build.order_keys["Peters Bouw B.V."] == {"name:peters-bouw-gmbh"}
    assert linked_build.order_keys["Peters Bouw GmbH"] == {"name:peters-bouw-gmbh"}
    assert linked_build.mappings["Peters Bouw B.V."][3] == "name:peters-bouw-bv"


def test_unlinked_supplier_unaffected(linked_build: Build) -> None:
    assert linked_build.order_keys["Euro Packaging Ltd"] == {"name:euro-packaging"}
    assert linked_build.mappings["Euro Packaging Ltd"] == ("name:euro-packaging", "name:euro-packaging", "derived", None)


def test_linked_derived_key_not_replaced(linked_build: Build) -> None:
    assert linked_build.order_keys["Kroon B.V., De"] == {"name:de-kroon"}
    assert linked_build.mappings["Kroon B.V., De"][2] == "derived"
    assert "name:de-kroon-bv" not in linked_build.dimension_keys


def test_ambiguous_link_keeps_nothing(linked_build: Build) -> None:
    assert linked_build.order_keys["Peeters BV"] == {"name:peeters"}
    assert linked_build.order_keys["Maes NV"] == {"name:maes"}
    assert "name:peeters-bv" not in linked_build.dimension_keys


def test_picqer_and_unknown_never_replaced(linked_build: Build) -> None:
    assert linked_build.order_keys["Hoekstra Kunststoffen"] == {"picqer:1"}
    assert linked_build.mappings["Hoekstra Kunststoffen"][:3] == ("picqer:1", "picqer:1", "derived")
    assert linked_build.order_keys["---"] == {"unknown"}
    assert linked_build.mappings["---"][:3] == ("unknown", "unknown", "derived")
    assert "name:hoekstra-kunststoffen-bv" not in linked_build.dimension_keys
    assert "name:dash-supplier" not in linked_build.dimension_keys


def test_every_order_key_in_dimension(linked_build: Build) -> None:
    order_keys = set().union(*linked_build.order_keys.values())
    assert order_keys - linked_build.dimension_keys == set()
