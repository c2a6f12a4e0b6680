"""Fixed credentials that the sandbox accepts.

These are public test values: they open nothing but the sandbox, so logs and test output may show them.
"""

from __future__ import annotations

PICQER_ADMIN_KEY = "sandbox-picqer-admin-key"
"""An unscoped Picqer key: reads every purchase order, supplier and fulfilment client."""

_PICQER_SCOPED_KEY_PREFIX = "sandbox-picqer-client-"

OPTIPLY_CLIENT_ID = "sandbox-optiply-client"
OPTIPLY_CLIENT_SECRET = "sandbox-optiply-client-secret"
OPTIPLY_USERNAME = "sandbox@optiply.example"
OPTIPLY_PASSWORD = "sandbox-optiply-password"

# The sample Optiply account is account 1, and its suppliers made by Optiply's own Picqer sync carry their
# Picqer idsupplier under coupling 7, so the sandbox plays that coupling.
OPTIPLY_ACCOUNT_ID = 1
OPTIPLY_COUPLING_ID = 7


def picqer_scoped_key(fulfilment_customer_id: int) -> str:
    """Return the Picqer key scoped to one fulfilment client (`idfulfilment_customer`)."""
    return f"{_PICQER_SCOPED_KEY_PREFIX}{int(fulfilment_customer_id)}-key"


def parse_picqer_scoped_key(api_key: str) -> int | None:
    """Return the fulfilment client id that `api_key` is scoped to, or None when it is not a scoped sandbox key."""
    if not api_key.startswith(_PICQER_SCOPED_KEY_PREFIX) or not api_key.endswith("-key"):
        return None
    middle = api_key[len(_PICQER_SCOPED_KEY_PREFIX) : -len("-key")]
    if not middle.isdigit():
        return None
    return int(middle)
