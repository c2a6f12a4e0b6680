"""Validation of supplier attributes sent to the fake Optiply, with the rules Optiply is seen to apply."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from pipelines.sandbox.dataset import JsonObject

MAX_NAME_LENGTH = 255
GLOBAL_LOCATION_NUMBER_LENGTH = 13
SUPPLIER_TYPES = ("vendor", "producer")
DAY_ATTRIBUTES = ("deliveryTime", "userReplenishmentPeriod")
DECIMAL_ATTRIBUTES = ("minimumOrderValue", "fixedCosts")
BOOLEAN_ATTRIBUTES = ("reactingToLostSales", "backorders", "ignored")
READ_ONLY_ATTRIBUTES = ("remoteIdMap", "createdFromPublicApi", "id")
# A plain shape check, not RFC 5322: one @, no whitespace, a dot in the domain.
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class SupplierValidationError(ValueError):
    """An attribute is invalid; the message is the `detail` of the 400 response."""


def validate_supplier_attributes(attributes: Any, creating: bool) -> JsonObject:
    """Return the attributes with values normalised as Optiply stores them; raise SupplierValidationError.

    `remoteId` and `couplingId` are returned as they came, converted to text and integer; the caller files them
    under `remoteIdMap`. Attributes without a rule here are kept unchanged, because Optiply has more of them than
    the sandbox models.
    """
    if not isinstance(attributes, dict):
        raise SupplierValidationError("data.attributes must be an object.")
    cleaned = dict(attributes)
    for name in READ_ONLY_ATTRIBUTES:
        if name in attributes:
            raise SupplierValidationError(f"{name} is read-only.")

    if creating and "name" not in attributes:
        raise SupplierValidationError("name is required.")
    if "name" in attributes:
        cleaned["name"] = _validate_name(attributes["name"])
    if "emails" in attributes:
        cleaned["emails"] = _validate_emails(attributes["emails"])
    for name in DAY_ATTRIBUTES:
        if name in attributes:
            cleaned[name] = _validate_days(name, attributes[name])
    for name in DECIMAL_ATTRIBUTES:
        if name in attributes:
            cleaned[name] = _validate_decimal(name, attributes[name])
    for name in BOOLEAN_ATTRIBUTES:
        if name in attributes and not isinstance(attributes[name], bool):
            raise SupplierValidationError(f"{name} must be true or false, got {attributes[name]!r}.")
    if "type" in attributes and attributes["type"] not in SUPPLIER_TYPES:
        raise SupplierValidationError(f"type must be one of {', '.join(SUPPLIER_TYPES)}, got {attributes['type']!r}.")
    if "globalLocationNumber" in attributes:
        cleaned["globalLocationNumber"] = _validate_global_location_number(attributes["globalLocationNumber"])
    if "remoteId" in attributes:
        cleaned["remoteId"] = _validate_remote_id(attributes["remoteId"])
    if "couplingId" in attributes:
        cleaned["couplingId"] = _validate_integer("couplingId", attributes["couplingId"])
    if "accountId" in attributes:
        cleaned["accountId"] = _validate_integer("accountId", attributes["accountId"])
    return cleaned


def _validate_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SupplierValidationError("name must be a non-empty string.")
    if len(value) > MAX_NAME_LENGTH:
        raise SupplierValidationError(f"name must be at most {MAX_NAME_LENGTH} characters, got {len(value)}.")
    if "\r" in value or "\n" in value:
        raise SupplierValidationError("name must not contain line breaks.")
    return value


def _validate_emails(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise SupplierValidationError("emails must be an array of strings.")
    for address in value:
        if not EMAIL_PATTERN.fullmatch(address):
            raise SupplierValidationError(f"{address} is not a valid address.")
    return list(value)


def _validate_days(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 365:
        raise SupplierValidationError(f"{name} must be null or a whole number of days from 1 to 365, got {value!r}.")
    return value


def _validate_decimal(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise SupplierValidationError(f"{name} must be a decimal number, got {value!r}.")
    try:
        number = Decimal(str(value))
    except InvalidOperation as error:
        raise SupplierValidationError(f"{name} must be a decimal number, got {value!r}.") from error
    if not number.is_finite() or number < 0:
        raise SupplierValidationError(f"{name} must be a non-negative decimal number, got {value!r}.")
    # Optiply returns decimals as strings with two places.
    return f"{number:.2f}"


def _validate_global_location_number(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != GLOBAL_LOCATION_NUMBER_LENGTH:
        raise SupplierValidationError(
            f"globalLocationNumber must be exactly {GLOBAL_LOCATION_NUMBER_LENGTH} characters, got {value!r}."
        )
    return value


def _validate_remote_id(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value) == "":
        raise SupplierValidationError(f"remoteId must be a non-empty string, got {value!r}.")
    return str(value)


def _validate_integer(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.isdigit():
            return int(value)
        raise SupplierValidationError(f"{name} must be an integer, got {value!r}.")
    return value
