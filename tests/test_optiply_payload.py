"""Preparing plan payloads for Optiply: names, e-mail addresses and user-maintained fields."""

from __future__ import annotations

import logging

import pytest

from pipelines.optiply.payload import MAX_NAME_LENGTH, PayloadChanges, prepare_payload


def test_name_control_characters_replaced() -> None:
    changes = PayloadChanges()

    prepared = prepare_payload("k", {"name": "  Foo \r\n Bar\tBaz\x00 "}, changes)

    assert prepared["name"] == "Foo Bar Baz"
    assert changes.names_cleaned == 1
    assert changes.names_cut == 0


def test_long_name_cut_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    changes = PayloadChanges()

    with caplog.at_level(logging.WARNING):
        prepared = prepare_payload("picqer:1", {"name": "Lange\nNaam " + "x" * 300}, changes)

    assert prepared["name"] == ("Lange Naam " + "x" * 300)[:MAX_NAME_LENGTH]
    assert changes.names_cut == 1
    assert "picqer:1: its name has 311 characters" in caplog.text


def test_clean_name_left_unchanged() -> None:
    changes = PayloadChanges()

    prepared = prepare_payload("k", {"name": "Bakker  Logistics"}, changes)

    assert prepared["name"] == "Bakker  Logistics"
    assert changes == PayloadChanges()


@pytest.mark.parametrize(
    ("address", "kept"),
    [
        ("inkoop@bakker.example", True),
        ("first.last+tag@sub.bakker.example", True),
        ('"inkoop afdeling"@bakker.example', True),
        ("inkoop at bakker", False),
        ("x@localhost", False),
        ("jürgen@bäcker.example", False),
        ("a@b@c.example", False),
        ("a" * 250 + "@b.example", False),
    ],
)
def test_email_syntax_check(address: str, kept: bool) -> None:
    changes = PayloadChanges()

    prepared = prepare_payload("k", {"name": "N", "emails": [address]}, changes)

    assert prepared["emails"] == ([address] if kept else [])
    assert changes.emails_dropped == (0 if kept else 1)


def test_empty_user_fields_left_out() -> None:
    changes = PayloadChanges()
    payload = {"name": "N", "deliveryTime": None, "fixedCosts": "", "minimumOrderValue": "10.00", "userReplenishmentPeriod": 7}

    prepared = prepare_payload("k", payload, changes)

    assert "deliveryTime" not in prepared
    assert "fixedCosts" not in prepared
    assert prepared["minimumOrderValue"] == "10.00"
    assert prepared["userReplenishmentPeriod"] == 7
    assert changes.empty_user_fields_dropped == 2


def test_ignore_payload_passes_unchanged() -> None:
    changes = PayloadChanges()

    assert prepare_payload("k", {"ignored": True}, changes) == {"ignored": True}
    assert changes == PayloadChanges()
