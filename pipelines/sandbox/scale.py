"""Generate sandbox accounts of any size that follow the proportions of the sample account.

`generate_account(orders, out_dir)` writes a dataset folder in the sample's layout (see `dataset.py`), so a
`Sandbox(data_dir=out_dir)` serves it. The proportions below were measured on the sample account (1,500 orders,
36 supplier objects, 46 real-world suppliers, 125 usable supplier names) and are scaled with the order count.
The same seed always writes the same files. `purchaseorders.json` contains one order per line, so it can be counted
without parsing it.

Command line: `python -m pipelines.sandbox.scale --orders 20000 --out /tmp/account [--distinct-names 10000]`.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import logging
import math
import random
import re
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterable, Sequence, TextIO

logger = logging.getLogger(__name__)

JsonObject = dict[str, Any]

# Shares of the four ways a sample order names its supplier (646, 143, 677 and 34 of 1,500 orders).
CATEGORY_ID_ONLY = "id_only"
CATEGORY_BOTH = "both"
CATEGORY_NAME_ONLY = "name_only"
CATEGORY_NOTHING = "nothing"
CATEGORY_SHARES = {
    CATEGORY_ID_ONLY: 646 / 1500,
    CATEGORY_BOTH: 143 / 1500,
    CATEGORY_NAME_ONLY: 677 / 1500,
    CATEGORY_NOTHING: 34 / 1500,
}
# On orders with both fields, 62 of 143 sample orders repeat the supplier object's name exactly.
BOTH_EXACT_NAME_SHARE = 62 / 143
# Orders without a usable supplier: empty text, a tab, spaces or null (12, 8, 7 and 7 orders in the sample).
BLANK_NAMES: tuple[str | None, ...] = ("", "\t", "   ", None)
BLANK_NAME_CUMULATIVE = tuple(itertools.accumulate((12, 8, 7, 7)))

# 125 usable names for 46 real-world suppliers, 36 of which exist as Picqer supplier objects (28 active).
NAMES_PER_ORDER = 125 / 1500
NAMES_PER_SUPPLIER = 125 / 46
SUPPLIER_OBJECT_SHARE = 36 / 46
ACTIVE_SUPPLIER_SHARE = 28 / 36
# The sample's Optiply account: 3 of 36 supplier objects synced earlier, 1 supplier created from an order's
# name, 1 made by hand.
OPTIPLY_SYNCED_SHARE = 3 / 36

# Weights are counts of sample orders, kept cumulative for `_pick`.
FULFILMENT_CUSTOMERS = (12, 15, 31, None)
FULFILMENT_CUSTOMER_CUMULATIVE = tuple(itertools.accumulate((675, 467, 283, 75)))
STATUSES = ("received", "purchased", "concept", "cancelled")
STATUS_CUMULATIVE = tuple(itertools.accumulate((904, 289, 186, 121)))
LINE_COUNTS = (1, 2, 3, 4, 5, 8)
LINE_COUNT_CUMULATIVE = tuple(itertools.accumulate((380, 367, 205, 192, 181, 175)))
CREATED_BY = (4410, None, 4411)
CREATED_BY_CUMULATIVE = tuple(itertools.accumulate((517, 494, 489)))
LINE_AMOUNTS = (6, 12, 24, 48, 100, 120, 250)
OPTIPLY_MARKED_SHARE = 82 / 1500
DELIVERY_DATE_SHARE = 1037 / 1500
# Seconds from `created` to `updated`: the same second, a minute, an hour, or None for 5 to 16 days.
UPDATE_DELAYS = (0, 60, 3600, None)
UPDATE_DELAY_CUMULATIVE = tuple(itertools.accumulate((40, 25, 20, 15)))
SHARED_UPDATED_SHARE = 0.01
# Three sample orders carry a time from the hour that occurs twice when summer time ends in Amsterdam.
AMBIGUOUS_HOUR_SHARE = 3 / 1500
AMBIGUOUS_HOUR_STARTS = (datetime(2024, 10, 27, 2), datetime(2025, 10, 26, 2), datetime(2026, 10, 25, 2))

FIRST_PURCHASE_ORDER_ID = 40008
WRITE_BATCH_ORDERS = 1000
FIRST_SUPPLIER_ID = 1210
FIRST_PRODUCT_ID = 330000
FIRST_OPTIPLY_ID = 90001
OPTIPLY_COUPLING_ID = "7"
PERIOD_START = datetime(2024, 1, 1)
PERIOD_SECONDS = int((datetime(2026, 12, 1) - PERIOD_START).total_seconds())

SURNAMES = (
    "Bakker", "De Vries", "Jansen", "Visser", "Smit", "Meijer", "Mulder", "Bos", "Vos", "Peters", "Hendriks",
    "Dekker", "Brouwer", "Verhoeven", "Kuipers", "Hoekstra", "Terbrugge", "Vlietstra", "Wendelaar", "Brakelmans",
    "Verhaegen", "Vandenbroucke", "Lefebvre", "Dubois", "Moreau", "Laurent", "Girard", "Koehler", "Schmidt",
    "Becker", "Wagner", "Hoffmann", "Richter", "Krause", "Ashford", "Brightwell", "Kestrel", "Harrington",
    "Whitfield", "Pemberton", "Nordlicht", "Lindqvist", "Andersen", "Nielsen", "Van Dam", "Van Leeuwen",
    "Van den Berg", "Scholten", "Postma", "Kramer", "Prins", "Huisman", "Koster", "Willems", "Claes", "Peeters",
    "Maes", "Jacobs", "Mertens", "Goossens", "Wouters", "Fontaine", "Rousseau", "Garnier", "Schulte", "Neumann",
    "Fischer", "Weber", "Baxter", "Cartwright", "Fairbanks", "Holloway", "Sorensen", "Dahl", "Berglund", "Haas",
)
TRADES = (
    "Logistics", "Verpakkingen", "Techniek", "Kunststoffen", "Metaalbewerking", "Drukkerij", "Emballages",
    "Packaging", "Printing", "Timber Supplies", "Components", "Chemie", "Geraetebau", "Tiefbau", "Trading",
    "Kantoorartikelen", "Agri", "Bouw", "Groothandel", "Papier", "Karton", "Transport", "Elektro", "Installatie",
    "Houthandel", "Textiel", "Stoffen", "Machinebouw", "Plastics", "Distribution", "Supplies", "Handel",
    "Verpackung", "Maschinenbau", "Holzhandel", "Fournitures", "Industrie", "Koeltechniek", "Glas", "Staal",
)
CITIES = (
    "Noord", "Oost", "Zuid", "West", "Zwolle", "Venlo", "Amersfoort", "Utrecht", "Rotterdam", "Eindhoven",
    "Groningen", "Tilburg", "Breda", "Arnhem", "Leiden", "Gent", "Antwerpen", "Brugge", "Koeln", "Essen",
    "Lille", "Rouen", "Luxembourg", "Kent", "Leeds", "Aarhus", "Holland", "Benelux", "Europe", "Nederland",
)
COUNTRIES = ("NL", "DE", "LU", "BE", "FR", "GB", "DK")
COUNTRY_WEIGHTS = (12, 8, 5, 4, 3, 3, 1)
# The canonical legal form first, then the other ways people type it.
LEGAL_FORMS: dict[str, tuple[tuple[str, ...], ...]] = {
    "NL": (("B.V.", "BV", "bv", "B.V", "b.v."), ("N.V.", "NV", "nv")),
    "BE": (("BV", "bv", "B.V."), ("NV", "N.V.", "nv")),
    "DE": (("GmbH", "GMBH", "Gmbh"), ("AG", "A.G."), ("UG", "UG (haftungsbeschraenkt)")),
    "LU": (("S.à r.l.", "Sàrl", "S.a r.l.", "S.à.r.l.", "SARL"),),
    "FR": (("SARL", "S.A.R.L.", "Sarl"), ("SAS", "S.A.S.")),
    "GB": (("Ltd", "Limited", "LTD.", "Ltd."), ("PLC", "plc", "P.L.C.")),
    "DK": (("ApS", "APS"), ("A/S", "AS")),
}
COUNTRY_LANGUAGE = {"NL": "nl", "BE": "nl"}
CONTACT_NAMES = ("Inkoop", "Verkoop binnendienst", "Accounts", None)
CONTACT_NAME_WEIGHTS = (10, 10, 9, 7)
SUPPLIER_REMARKS = ("", "Alleen op dinsdag leveren", None, "Levertijd 5 werkdagen")
SUPPLIER_REMARK_WEIGHTS = (11, 9, 9, 7)


@dataclass
class RealSupplier:
    """One real-world supplier: its canonical name and, for most, a Picqer supplier object."""

    name: str
    country: str
    legal_form_group: tuple[str, ...]
    idsupplier: int | None
    names: list[str]
    """Distinct typed spellings of the name that orders carry, the canonical name first."""


def generate_account(orders: int, out_dir: Path, seed: int = 0, distinct_names: int | None = None) -> Path:
    """Write a sandbox dataset with `orders` purchase orders under `out_dir` and return `out_dir`.

    `distinct_names` sets how many distinct usable `supplier_name` strings the orders carry, each on at least one
    order. By default it follows the sample, with one name per 12 orders. Raises ValueError when the orders have
    too few supplier names to carry that many.
    """
    if orders < 1:
        raise ValueError(f"orders must be at least 1, got {orders}.")
    quotas = _category_quotas(orders)
    name_slots = quotas[CATEGORY_BOTH] + quotas[CATEGORY_NAME_ONLY]
    if distinct_names is None:
        distinct_names = min(name_slots, max(3, round(orders * NAMES_PER_ORDER)))
    if distinct_names < 1 or distinct_names > name_slots:
        minimum_orders = math.ceil(distinct_names / (CATEGORY_SHARES[CATEGORY_BOTH] + CATEGORY_SHARES[CATEGORY_NAME_ONLY]))
        raise ValueError(
            f"distinct_names must be between 1 and {name_slots} for {orders} orders, got {distinct_names}; "
            f"about {minimum_orders} orders or more carry that many names."
        )

    started = time.monotonic()
    rng = random.Random(seed)
    suppliers = _real_suppliers(rng, distinct_names)
    out_dir = Path(out_dir)
    (out_dir / "picqer").mkdir(parents=True, exist_ok=True)
    (out_dir / "optiply").mkdir(parents=True, exist_ok=True)

    objects = [supplier for supplier in suppliers if supplier.idsupplier is not None]
    _write_json(out_dir / "picqer" / "suppliers.json", [_supplier_object(rng, supplier) for supplier in objects])
    _write_json(out_dir / "picqer" / "fulfilment_customers.json", _fulfilment_customers())
    _write_json(out_dir / "optiply" / "suppliers.json", {"data": _optiply_suppliers(rng, suppliers)})

    categories = [category for category, count in quotas.items() for _ in range(count)]
    rng.shuffle(categories)
    assignments = _supplier_assignments(rng, categories, suppliers)
    with (out_dir / "picqer" / "purchaseorders.json").open("w", encoding="utf-8") as handle:
        _write_orders(handle, rng, assignments)
    logger.info(
        "Generated %d orders, %d supplier objects and %d distinct supplier names in %s (%.1f s)",
        orders, len(objects), distinct_names, out_dir, time.monotonic() - started,
    )
    return out_dir


def _category_quotas(orders: int) -> dict[str, int]:
    """Split `orders` over the supplier categories by the sample's shares, exactly summing to `orders`."""
    quotas = {category: int(orders * share) for category, share in CATEGORY_SHARES.items()}
    remainders = sorted(CATEGORY_SHARES, key=lambda category: orders * CATEGORY_SHARES[category] % 1, reverse=True)
    for category in remainders[: orders - sum(quotas.values())]:
        quotas[category] += 1
    return quotas


# Real-world suppliers and their name variants.


def _pick(rng: random.Random, values: Sequence[Any], cumulative_weights: Sequence[float]) -> Any:
    """Pick one value by precomputed cumulative weights; `random.choices` would sum the weights on every call."""
    return values[bisect.bisect(cumulative_weights, rng.random() * cumulative_weights[-1])]


def _below(rng: random.Random, limit: int) -> int:
    """Return a whole number from 0 to `limit` - 1, faster than `randrange` for the generator's hot loop."""
    return int(rng.random() * limit)


def _real_suppliers(rng: random.Random, distinct_names: int) -> list[RealSupplier]:
    """Create the real-world suppliers and exactly `distinct_names` distinct spellings spread over them."""
    supplier_count = min(distinct_names, max(1, round(distinct_names / NAMES_PER_SUPPLIER)))
    seen: set[str] = set()
    suppliers: list[RealSupplier] = []
    next_idsupplier = FIRST_SUPPLIER_ID
    while len(suppliers) < supplier_count:
        country = rng.choices(COUNTRIES, COUNTRY_WEIGHTS)[0]
        group = rng.choice(LEGAL_FORMS[country])
        name = f"{_base_name(rng)} {group[0]}"
        if name in seen:
            continue
        seen.add(name)
        has_object = len(suppliers) == 0 or rng.random() < SUPPLIER_OBJECT_SHARE
        idsupplier = None
        if has_object:
            idsupplier = next_idsupplier
            next_idsupplier += rng.randint(1, 9)
        suppliers.append(RealSupplier(name, country, group, idsupplier, [name]))

    # Popular suppliers collect more spellings, as on the sample's orders.
    weights = _popularity_weights(len(suppliers))
    name_count = len(suppliers)
    failed_attempts = 0
    while name_count < distinct_names:
        supplier = _pick(rng, suppliers, weights)
        variant = _name_variant(rng, supplier)
        if variant in seen or not variant.strip():
            failed_attempts += 1
            if failed_attempts > 50 * distinct_names:
                raise RuntimeError(f"Could not find {distinct_names} distinct supplier names; try fewer.")
            continue
        seen.add(variant)
        supplier.names.append(variant)
        name_count += 1
    return suppliers


def _base_name(rng: random.Random) -> str:
    pattern = rng.randrange(5)
    if pattern == 0:
        return f"{rng.choice(SURNAMES)} {rng.choice(TRADES)}"
    if pattern == 1:
        return f"{rng.choice(TRADES)} {rng.choice(CITIES)}"
    if pattern == 2:
        return f"{rng.choice(SURNAMES)} & {rng.choice(SURNAMES)}"
    if pattern == 3:
        return f"{rng.choice(TRADES)} {rng.choice(SURNAMES)}"
    return f"{rng.choice(SURNAMES)} {rng.choice(TRADES)} {rng.choice(CITIES)}"


def _name_variant(rng: random.Random, supplier: RealSupplier) -> str:
    """Return one typed spelling of the supplier's name: one or two changes of case, legal form, typo or spacing."""
    canonical_form = supplier.legal_form_group[0]
    base = supplier.name[: -len(canonical_form) - 1]
    legal_form = canonical_form
    changes = rng.sample(range(8), rng.choice((1, 1, 2)))
    if 0 in changes:
        legal_form = ""
    if 1 in changes:
        legal_form = rng.choice(supplier.legal_form_group)
    if 2 in changes:
        base = _typo(rng, base)
    if 3 in changes:
        base = base.replace(" & ", rng.choice((" en ", " and ", "&", " + ")))
    name = f"{base} {legal_form}" if legal_form else base
    if 4 in changes:
        name = name.upper() if rng.random() < 0.6 else name.lower()
    if 5 in changes:
        name = _spacing(rng, name)
    if 6 in changes:
        name = f"{name} ({supplier.country})"
    if 7 in changes:
        name = _diacritics_or_title_case(name)
    return name


def _diacritics_or_title_case(name: str) -> str:
    """Write 'ae', 'oe' and 'ue' as umlauts ('Koehler' as 'Köhler'); names without them get title case."""
    with_umlauts = name.replace("ae", "ä").replace("oe", "ö").replace("ue", "ü")
    if with_umlauts != name:
        return with_umlauts
    return name.title()


def _typo(rng: random.Random, text: str) -> str:
    """Swap two neighbouring letters or drop one, inside a word of five letters or more."""
    words = text.split(" ")
    candidates = [index for index, word in enumerate(words) if len(word) >= 5 and word.isalpha()]
    if not candidates:
        return text
    index = rng.choice(candidates)
    word = words[index]
    position = rng.randrange(1, len(word) - 1)
    if rng.random() < 0.5:
        word = word[:position] + word[position + 1] + word[position] + word[position + 2 :]
    else:
        word = word[:position] + word[position + 1 :]
    words[index] = word
    return " ".join(words)


def _spacing(rng: random.Random, text: str) -> str:
    choice = rng.randrange(3)
    if choice == 0:
        return text.replace(" ", "  ", 1)
    if choice == 1:
        return re.sub(r"(\w) (\w)", r"\1\2", text, count=1)
    return text + " "


def _popularity_weights(count: int) -> list[float]:
    """Return cumulative weights that make a few suppliers common and most rare (a Zipf-like curve)."""
    total = 0.0
    cumulative = []
    for rank in range(1, count + 1):
        total += 1.0 / rank**0.8
        cumulative.append(total)
    return cumulative


# Picqer supplier objects, fulfilment clients and the Optiply account.


def _supplier_object(rng: random.Random, supplier: RealSupplier) -> JsonObject:
    slug = re.sub(r"[^a-z0-9]", "", supplier.name.lower())[:24]
    return {
        "idsupplier": supplier.idsupplier,
        "name": supplier.name,
        "contactname": rng.choices(CONTACT_NAMES, CONTACT_NAME_WEIGHTS)[0],
        "address": f"Industrieweg {rng.randint(1, 250)}",
        "address2": None,
        "zipcode": f"{rng.randint(1000, 9999)} {rng.choice('ABCDEFGHJKLMNPRSTVWXZ')}{rng.choice('ABCDEFGHJKLMNPRSTVWXZ')}",
        "city": rng.choice(CITIES),
        "region": None,
        "country": supplier.country,
        "telephone": f"+31 10 {rng.randint(1000000, 9999999)}" if rng.random() < 15 / 36 else None,
        "emailaddress": f"{rng.choice(('orders', 'inkoop', 'info'))}@{slug}.example" if rng.random() < 28 / 36 else None,
        "remarks": rng.choices(SUPPLIER_REMARKS, SUPPLIER_REMARK_WEIGHTS)[0],
        "language": COUNTRY_LANGUAGE.get(supplier.country, "en"),
        "active": rng.random() < ACTIVE_SUPPLIER_SHARE,
        "comment_count": rng.randint(0, 3),
    }


def _fulfilment_customers() -> list[JsonObject]:
    return [
        {
            "idfulfilment_customer": 12, "name": "Theehuis Utrecht B.V.", "can_login": True, "username": "theehuis",
            "language": "nl", "idtemplate": None, "last_login_at": "2026-11-29 08:02:51",
            "allowed_shipping_profiles": [], "preferred_idwarehouse": 3021,
        },
        {
            "idfulfilment_customer": 15, "name": "Fietsonderdelen.nl", "can_login": True,
            "username": "fietsonderdelen", "language": "nl", "idtemplate": None,
            "last_login_at": "2026-11-30 14:40:02", "allowed_shipping_profiles": [3, 5], "preferred_idwarehouse": 3021,
        },
        {
            "idfulfilment_customer": 31, "name": "Nordic Home Goods", "can_login": False, "username": "nordichome",
            "language": "en", "idtemplate": None, "last_login_at": None, "allowed_shipping_profiles": [],
            "preferred_idwarehouse": 3022,
        },
    ]


def _optiply_suppliers(rng: random.Random, suppliers: list[RealSupplier]) -> list[JsonObject]:
    """Return the Optiply account: some synced supplier objects, one created from a typed name, one made by hand."""
    objects = [supplier for supplier in suppliers if supplier.idsupplier is not None]
    synced = rng.sample(objects, max(1, round(len(objects) * OPTIPLY_SYNCED_SHARE)))
    name_only = [supplier for supplier in suppliers if supplier.idsupplier is None]
    rows: list[JsonObject] = []
    for supplier in synced:
        rows.append(_optiply_row(len(rows), supplier.name, {OPTIPLY_COUPLING_ID: str(supplier.idsupplier)}, True))
    if name_only:
        rows.append(_optiply_row(len(rows), rng.choice(name_only).names[-1], {}, True))
    manual = _optiply_row(len(rows), "Handmatig aangemaakte leverancier", {}, False)
    manual["attributes"].update({"deliveryTime": 14, "userReplenishmentPeriod": 7, "type": "producer"})
    rows.append(manual)
    return rows


def _optiply_row(index: int, name: str, remote_ids: dict[str, str], from_public_api: bool) -> JsonObject:
    return {
        "type": "suppliers",
        "id": str(FIRST_OPTIPLY_ID + index),
        "attributes": {
            "name": name,
            "emails": [],
            "deliveryTime": None,
            "userReplenishmentPeriod": None,
            "ignored": False,
            "type": "vendor",
            "remoteIdMap": remote_ids,
            "createdFromPublicApi": from_public_api,
            "accountId": 1,
        },
    }


# Purchase orders.


def _supplier_assignments(
    rng: random.Random, categories: list[str], suppliers: list[RealSupplier]
) -> list[tuple[int | None, str | None]]:
    """Return `(idsupplier, supplier_name)` per order, using every distinct name on at least one order.

    Names of suppliers with an object first fill the orders that carry both fields, and the other names fill
    the orders that carry only a name. The remaining orders pick suppliers by popularity.
    """
    objects = [supplier for supplier in suppliers if supplier.idsupplier is not None]
    object_weights = _popularity_weights(len(objects))
    supplier_weights = _popularity_weights(len(suppliers))
    unused_with_object = [(supplier.idsupplier, name) for supplier in objects for name in supplier.names]
    unused_names = [name for supplier in suppliers if supplier.idsupplier is None for name in supplier.names]
    rng.shuffle(unused_with_object)
    both_slots = categories.count(CATEGORY_BOTH)
    # Names that do not fit on the orders with both fields go to the orders with only a name.
    unused_names.extend(name for _, name in unused_with_object[both_slots:])
    unused_with_object = unused_with_object[:both_slots]
    rng.shuffle(unused_names)

    assignments: list[tuple[int | None, str | None]] = []
    for category in categories:
        if category == CATEGORY_ID_ONLY:
            assignments.append((_pick(rng, objects, object_weights).idsupplier, None))
        elif category == CATEGORY_BOTH:
            if unused_with_object:
                assignments.append(unused_with_object.pop())
                continue
            supplier = _pick(rng, objects, object_weights)
            name = supplier.name if rng.random() < BOTH_EXACT_NAME_SHARE else rng.choice(supplier.names)
            assignments.append((supplier.idsupplier, name))
        elif category == CATEGORY_NAME_ONLY:
            if unused_names:
                assignments.append((None, unused_names.pop()))
                continue
            supplier = _pick(rng, suppliers, supplier_weights)
            assignments.append((None, rng.choice(supplier.names)))
        else:
            assignments.append((None, _pick(rng, BLANK_NAMES, BLANK_NAME_CUMULATIVE)))
    return assignments


def _write_orders(handle: TextIO, rng: random.Random, assignments: Sequence[tuple[int | None, str | None]]) -> None:
    """Stream the orders out in batches, one order per line, so memory stays flat however many orders there are."""
    product_count = 600 + len(assignments) // 10
    idpurchaseorder = FIRST_PURCHASE_ORDER_ID
    numbers_per_year: dict[int, int] = {}
    recent_updated: deque[str] = deque(maxlen=20)
    batch: list[JsonObject] = []
    handle.write("[\n")
    for position, (idsupplier, supplier_name) in enumerate(assignments):
        created = PERIOD_START + timedelta(seconds=_below(rng, PERIOD_SECONDS))
        numbers_per_year[created.year] = numbers_per_year.get(created.year, 0) + 1
        updated = _updated_at(rng, created, recent_updated)
        recent_updated.append(updated)
        order = _order(rng, idpurchaseorder, idsupplier, supplier_name, created, updated, product_count)
        order["purchaseorderid"] = f"{created.year}{numbers_per_year[created.year]:04d}"
        batch.append(order)
        idpurchaseorder += 1 + _below(rng, 4)
        if len(batch) == WRITE_BATCH_ORDERS or position == len(assignments) - 1:
            handle.write(",\n".join(json.dumps(row, ensure_ascii=False) for row in batch))
            handle.write(",\n" if position < len(assignments) - 1 else "\n")
            batch = []
    handle.write("]\n")


def _updated_at(rng: random.Random, created: datetime, recent_updated: deque[str]) -> str:
    draw = rng.random()
    if recent_updated and draw < SHARED_UPDATED_SHARE:
        # Orders saved in the same second as another order, which incremental cursors must not lose.
        return rng.choice(recent_updated)
    if draw < SHARED_UPDATED_SHARE + AMBIGUOUS_HOUR_SHARE:
        ambiguous = rng.choice(AMBIGUOUS_HOUR_STARTS) + timedelta(seconds=_below(rng, 3600))
        return _timestamp(ambiguous)
    delay = _pick(rng, UPDATE_DELAYS, UPDATE_DELAY_CUMULATIVE)
    if delay is None:
        delay = 86400 * (5 + _below(rng, 12))
    return _timestamp(created + timedelta(seconds=delay))


def _timestamp(moment: datetime) -> str:
    """Format as Picqer does, `YYYY-MM-DD HH:MM:SS`; isoformat is much faster than strftime."""
    return moment.isoformat(" ", timespec="seconds")


def _order(
    rng: random.Random,
    idpurchaseorder: int,
    idsupplier: int | None,
    supplier_name: str | None,
    created: datetime,
    updated: str,
    product_count: int,
) -> JsonObject:
    customer = _pick(rng, FULFILMENT_CUSTOMERS, FULFILMENT_CUSTOMER_CUMULATIVE)
    status = _pick(rng, STATUSES, STATUS_CUMULATIVE)
    optiply_number = 5000000 + _below(rng, 1000000) if rng.random() < OPTIPLY_MARKED_SHARE else None
    delivery_date = None
    if rng.random() < DELIVERY_DATE_SHARE:
        delivery_date = (created + timedelta(days=5 + _below(rng, 21))).date().isoformat()
    return {
        "idpurchaseorder": idpurchaseorder,
        "idsupplier": idsupplier,
        "idtemplate": None,
        "idwarehouse": 3022 if customer == 31 else 3021,
        "idfulfilment_customer": customer,
        "purchaseorderid": "",
        "supplier_name": supplier_name,
        "supplier_orderid": f"Optiply-{optiply_number}" if optiply_number else None,
        "status": status,
        "remarks": f"Ordernummer Optiply: {optiply_number}" if optiply_number else "",
        "delivery_date": delivery_date,
        "language": "nl",
        "created_by_iduser": _pick(rng, CREATED_BY, CREATED_BY_CUMULATIVE),
        "comment_count": 0,
        "created": _timestamp(created),
        "updated": updated,
        "products": _order_lines(rng, idpurchaseorder, status, product_count),
    }


def _order_lines(rng: random.Random, idpurchaseorder: int, status: str, product_count: int) -> list[JsonObject]:
    lines = []
    for index in range(_pick(rng, LINE_COUNTS, LINE_COUNT_CUMULATIVE)):
        product = _below(rng, product_count)
        amount = LINE_AMOUNTS[_below(rng, len(LINE_AMOUNTS))]
        if status == "received":
            received = amount
        elif status == "purchased" and rng.random() < 0.8:
            received = _below(rng, amount + 1)
        else:
            received = 0
        productcode = f"SKU-{product:05d}"
        lines.append(
            {
                # Line ids stay unique because an order has at most 8 lines and order ids never repeat.
                "idpurchaseorder_product": idpurchaseorder * 10 + index,
                "idproduct": FIRST_PRODUCT_ID + product,
                "idvatgroup": 18,
                "productcode": productcode,
                "productcode_supplier": f"S-{productcode}" if rng.random() < 0.5 else None,
                "name": f"Artikel {product}",
                "price": round(0.51 + rng.random() * 79.49, 2),
                "amount": amount,
                "amountreceived": received,
                "delivery_date": None,
                "weight": 100 + _below(rng, 4901),
            }
        )
    return lines


def _write_json(path: Path, document: Any) -> None:
    with path.open("w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=1)
        handle.write("\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.sandbox.scale",
        description="Write a sandbox dataset folder with N purchase orders in the proportions of the sample account.",
    )
    parser.add_argument("--orders", type=int, required=True, help="number of purchase orders to generate")
    parser.add_argument("--out", type=Path, required=True, help="dataset folder to write (created when missing)")
    parser.add_argument(
        "--distinct-names",
        type=int,
        default=None,
        help="number of distinct supplier names on the orders (default: one per 12 orders, as in the sample)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed; the same seed writes the same files")
    return parser


def main(argv: Iterable[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    arguments = parser.parse_args(None if argv is None else list(argv))
    try:
        generate_account(arguments.orders, arguments.out, arguments.seed, arguments.distinct_names)
    except ValueError as error:
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
