"""The `optiply` dlt source loading the sandbox account into a real DuckDB warehouse."""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.config import OptiplyConfiguration
from pipelines.optiply import OptiplyClient, load_optiply_suppliers
from pipelines.sandbox import Sandbox
from test_optiply_support import client, optiply_config, query, sandbox  # noqa: F401 (fixtures)

EXPECTED_TYPES = {
    "id": "BIGINT",
    "name": "VARCHAR",
    "remote_id": "VARCHAR",
    "remote_id_map": "JSON",
    "emails": "JSON",
    "ignored": "BOOLEAN",
    "created_from_public_api": "BOOLEAN",
    "delivery_time": "BIGINT",
    "user_replenishment_period": "BIGINT",
    "minimum_order_value": "VARCHAR",
    "fixed_costs": "VARCHAR",
    "type": "VARCHAR",
    "account_id": "BIGINT",
}


def column_types(warehouse: Path) -> dict[str, str]:
    rows = query(
        warehouse,
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'optiply_raw' and table_name = 'suppliers'",
    )
    return {name: data_type for name, data_type in rows}


def test_suppliers_loaded_with_types(
    tmp_path: Path, optiply_config: OptiplyConfiguration, client: OptiplyClient
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"

    load_optiply_suppliers(warehouse, optiply_config, client=client)

    types = column_types(warehouse)
    for column, expected in EXPECTED_TYPES.items():
        assert types.get(column) == expected, column
    # The sample has no decimals at all; the declared columns exist anyway.
    assert query(warehouse, "select count(minimum_order_value), count(fixed_costs) from optiply_raw.suppliers") == [
        (0, 0)
    ]


def test_suppliers_rows_match_sample(
    tmp_path: Path, optiply_config: OptiplyConfiguration, client: OptiplyClient
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"

    load_optiply_suppliers(warehouse, optiply_config, client=client)

    rows = query(
        warehouse,
        "select id, name, remote_id, remote_id_map::text, emails::text, created_from_public_api, delivery_time, "
        "user_replenishment_period, type, account_id from optiply_raw.suppliers order by id",
    )
    assert [row[0] for row in rows] == [90001, 90002, 90003, 90004, 90005]
    first = rows[0]
    assert first[1] == "Bakker Logistics B.V."
    assert first[2] == "1294"
    assert json.loads(first[3]) == {"7": "1294"}
    assert json.loads(first[4]) == ["orders@bakkerlogisticsbv.example"]
    hand_made = rows[-1]
    assert hand_made[2] is None
    assert json.loads(hand_made[4]) == []
    assert hand_made[5] is False
    assert hand_made[6:] == (14, 7, "producer", 1)


def test_reload_replaces_rows(
    tmp_path: Path, optiply_config: OptiplyConfiguration, client: OptiplyClient, sandbox: Sandbox
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    load_optiply_suppliers(warehouse, optiply_config, client=client)
    client.create_supplier({"name": "Loaded later", "remoteId": "8001", "minimumOrderValue": "12.5"})

    load_optiply_suppliers(warehouse, optiply_config, client=client)

    assert query(warehouse, "select count(*), count(distinct id) from optiply_raw.suppliers") == [(6, 6)]
    assert query(
        warehouse, "select remote_id, minimum_order_value from optiply_raw.suppliers where name = 'Loaded later'"
    ) == [("8001", "12.50")]
