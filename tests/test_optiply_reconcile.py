"""Finding a supplier that an earlier POST created, and reusing a token until shortly before it expires."""

from __future__ import annotations

from typing import Any, Optional

import pytest
import requests

from pipelines.config import OptiplyConfiguration
from pipelines.optiply.auth import TokenProvider
from pipelines.optiply.reconcile import SupplierMatch, find_created_supplier
from pipelines.sandbox import Sandbox
from test_optiply_support import FAST_RETRIES, SHORT_TIMEOUT, optiply_config, sandbox, token_requests  # noqa: F401


def supplier(
    supplier_id: int, name: str, remote_ids: dict[str, str], from_api: bool = True
) -> dict[str, Any]:
    return {
        "type": "suppliers",
        "id": str(supplier_id),
        "attributes": {"name": name, "remoteIdMap": remote_ids, "createdFromPublicApi": from_api},
    }


ACCOUNT = [
    supplier(1, "Alpha B.V.", {"7": "100"}),
    supplier(2, "Alpha B.V.", {"9": "100"}),
    supplier(3, "Beta", {}),
    supplier(4, "Gamma", {}),
    supplier(5, "Gamma", {}),
    supplier(6, "Delta", {}, from_api=False),
    supplier(7, "Epsilon", {"7": "300"}),
]


@pytest.mark.parametrize(
    ("remote_id", "name", "expected"),
    [
        ("100", "anything", SupplierMatch(1, "created")),  # our coupling only, not coupling 9
        ("999", "Alpha B.V.", None),  # with a remote id, the name is never used
        (None, "Beta", SupplierMatch(3, "adopted_by_name")),
        (None, "Gamma", None),  # two suppliers share the name
        (None, "Delta", None),  # made by hand, not through the API
        (None, "Epsilon", None),  # already linked under our coupling to another remote id
        (None, "beta", None),  # names match exactly
    ],
)
def test_find_created_supplier(remote_id: Optional[str], name: str, expected: Optional[SupplierMatch]) -> None:
    assert find_created_supplier(ACCOUNT, 7, remote_id, name) == expected


def test_token_renewed_before_expiry(optiply_config: OptiplyConfiguration, sandbox: Sandbox) -> None:
    now = [1000.0]
    provider = TokenProvider(
        optiply_config, requests.Session(), FAST_RETRIES, SHORT_TIMEOUT, clock=lambda: now[0]
    )

    first = provider.token()
    now[0] += 3600 - 61  # the sandbox issues tokens for 3600 s; renewal starts 60 s before the end
    assert provider.token() == first
    assert len(token_requests(sandbox)) == 1

    now[0] += 2
    second = provider.token()

    assert second != first
    assert len(token_requests(sandbox)) == 2
