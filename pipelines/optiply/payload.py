"""Making a plan's payload valid for Optiply before it is sent, and counting every change made to it."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Mapping

logger = logging.getLogger(__name__)

# Optiply rejects longer supplier names with a 400.
MAX_NAME_LENGTH = 255
# The longest address SMTP can deliver to (RFC 5321: a 256-octet path minus its angle brackets).
MAX_EMAIL_LENGTH = 254
# Attributes that users maintain in Optiply. Sending one empty would erase what a user entered there.
USER_MAINTAINED_ATTRIBUTES = ("deliveryTime", "userReplenishmentPeriod", "minimumOrderValue", "fixedCosts")

# A run of control characters (C0, DEL and C1), with the spaces around it, becomes one space.
_CONTROL_CHARACTERS = re.compile(r" *[\x00-\x1f\x7f-\x9f]+[\x00-\x1f\x7f-\x9f ]*")
# A dot-atom or quoted local part and a domain of at least two dot-separated labels (RFC 5322 syntax, ASCII only).
_EMAIL = re.compile(
    r"""(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*|"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*")"""
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)


@dataclass
class PayloadChanges:
    """Counts of the changes made to payloads in one run, for the run's log and result."""

    names_cleaned: int = 0
    names_cut: int = 0
    emails_dropped: int = 0
    emails_dropped_after_rejection: int = 0
    empty_user_fields_dropped: int = 0


def prepare_payload(supplier_key: str, payload: Mapping[str, Any], changes: PayloadChanges) -> dict[str, Any]:
    """Return the attributes to send for `payload`, logging and counting each change into `changes`.

    The name loses its control characters (a run of them becomes one space), is trimmed and is cut to 255
    characters. An e-mail address that fails the syntax check, or is not ASCII, is left out: Optiply rejects the
    whole request for one address it finds invalid, and it documents no support for internationalised addresses.
    A user-maintained attribute that is null or empty is left out, so it never overwrites a value set in Optiply.
    """
    prepared = dict(payload)
    if "name" in prepared:
        prepared["name"] = _clean_name(supplier_key, str(prepared["name"]), changes)
    if "emails" in prepared:
        prepared["emails"] = _valid_emails(supplier_key, prepared["emails"], changes)
    for attribute in USER_MAINTAINED_ATTRIBUTES:
        if attribute in prepared and prepared[attribute] in (None, ""):
            del prepared[attribute]
            changes.empty_user_fields_dropped += 1
            logger.warning(
                "Supplier %s: left out the empty %s, so the value kept in Optiply stays", supplier_key, attribute
            )
    return prepared


def is_invalid_address_message(message: str) -> bool:
    """Return whether an Optiply 400 message rejects an e-mail address (its text is '… is not a valid address')."""
    return "is not a valid address" in message


def _clean_name(supplier_key: str, name: str, changes: PayloadChanges) -> str:
    cleaned = _CONTROL_CHARACTERS.sub(" ", name).strip()
    if cleaned != name.strip():
        changes.names_cleaned += 1
        logger.warning("Supplier %s: removed control characters from its name", supplier_key)
    if len(cleaned) > MAX_NAME_LENGTH:
        changes.names_cut += 1
        logger.warning(
            "Supplier %s: its name has %d characters; cut to Optiply's maximum of %d",
            supplier_key,
            len(cleaned),
            MAX_NAME_LENGTH,
        )
        cleaned = cleaned[:MAX_NAME_LENGTH].rstrip()
    return cleaned


def _valid_emails(supplier_key: str, emails: Any, changes: PayloadChanges) -> list[str]:
    if not isinstance(emails, list):
        emails = [] if emails is None else [emails]
    kept: list[str] = []
    for raw in emails:
        address = str(raw).strip()
        if not address:
            continue
        if len(address) <= MAX_EMAIL_LENGTH and _EMAIL.fullmatch(address):
            kept.append(address)
            continue
        changes.emails_dropped += 1
        # The address is a supplier's business contact, not a credential, so it may be logged.
        logger.warning("Supplier %s: left out the e-mail address %r, which is not a valid address", supplier_key, address)
    return kept
