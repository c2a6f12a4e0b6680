"""Paging, sorting and filtering of a JSON:API list, as Optiply's list endpoints accept them.

Supported parameters: `page[limit]` (default 50, at most 100), `page[offset]` (a multiple of the limit),
`sort=<attribute>` or `sort=-<attribute>` (`id` included), and `filter[<attribute>]=<value>` or
`filter[<attribute>][<OP>]=<value>` with OP one of EQ, NEQ, LIKE, LT, LE, GT, GE.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from pipelines.sandbox.dataset import JsonObject

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
FILTER_PATTERN = re.compile(r"filter\[(?P<attribute>[A-Za-z0-9_]+)\](?:\[(?P<operator>[A-Za-z]+)\])?")
OPERATORS = frozenset({"EQ", "NEQ", "LIKE", "LT", "LE", "GT", "GE"})


class QueryError(ValueError):
    """A list parameter is invalid; the message names it."""


@dataclass(frozen=True)
class Filter:
    attribute: str
    operator: str
    value: str


@dataclass
class ListQuery:
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    sort_attribute: str = "id"
    descending: bool = False
    filters: list[Filter] = field(default_factory=list)


def parse_list_query(query: dict[str, str]) -> ListQuery:
    """Read the paging, sort and filter parameters of `query`; raise QueryError on an invalid one."""
    parsed = ListQuery()
    parsed.limit = _parse_int(query, "page[limit]", DEFAULT_LIMIT)
    if not 1 <= parsed.limit <= MAX_LIMIT:
        raise QueryError(f"page[limit] must be between 1 and {MAX_LIMIT}, got {parsed.limit}.")
    parsed.offset = _parse_int(query, "page[offset]", 0)
    # NOTE: Optiply documents the offset as a multiple of the limit but not what happens otherwise. The
    # sandbox rejects other offsets, so a client that pages wrongly fails in tests.
    if parsed.offset < 0 or parsed.offset % parsed.limit != 0:
        raise QueryError(f"page[offset] must be a non-negative multiple of page[limit], got {parsed.offset}.")

    sort = query.get("sort", "id")
    parsed.descending = sort.startswith("-")
    parsed.sort_attribute = sort.lstrip("-")
    if not parsed.sort_attribute:
        raise QueryError("sort must name an attribute, for example sort=id.")

    for name, value in query.items():
        if not name.startswith("filter["):
            continue
        match = FILTER_PATTERN.fullmatch(name)
        if match is None:
            raise QueryError(f"Invalid filter parameter {name!r}: expected filter[attribute] or filter[attribute][OP].")
        operator = (match.group("operator") or "EQ").upper()
        if operator not in OPERATORS:
            raise QueryError(f"Unknown filter operator {operator!r} in {name!r}; expected one of {sorted(OPERATORS)}.")
        parsed.filters.append(Filter(attribute=match.group("attribute"), operator=operator, value=value))
    return parsed


def select_page(resources: list[JsonObject], list_query: ListQuery) -> tuple[list[JsonObject], int]:
    """Return the page of `resources` that `list_query` selects, and the number of matches before paging."""
    matches = [resource for resource in resources if all(_matches(resource, rule) for rule in list_query.filters)]
    matches.sort(key=lambda resource: _sort_key(_value_of(resource, list_query.sort_attribute)))
    if list_query.descending:
        matches.reverse()
    return matches[list_query.offset : list_query.offset + list_query.limit], len(matches)


def page_links(base_url: str, query: dict[str, str], list_query: ListQuery, total: int) -> dict[str, str]:
    """Return JSON:API `links` (self, first, and prev/next where such a page exists) for one page."""

    def link(offset: int) -> str:
        params = dict(query)
        params["page[limit]"] = str(list_query.limit)
        params["page[offset]"] = str(offset)
        return f"{base_url}?{urlencode(params, safe='[]')}"

    links = {"self": link(list_query.offset), "first": link(0)}
    if list_query.offset > 0:
        links["prev"] = link(max(0, list_query.offset - list_query.limit))
    if list_query.offset + list_query.limit < total:
        links["next"] = link(list_query.offset + list_query.limit)
    return links


def _parse_int(query: dict[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise QueryError(f"{name} must be an integer, got {raw!r}.") from error


def _value_of(resource: JsonObject, attribute: str) -> Any:
    if attribute == "id":
        return int(resource["id"])
    return resource.get("attributes", {}).get(attribute)


def _sort_key(value: Any) -> tuple[int, Any]:
    # None sorts first, then numbers, then text, so a column of mixed types sorts without a TypeError.
    if value is None:
        return (0, 0)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (1, value)
    return (2, str(value))


def _matches(resource: JsonObject, rule: Filter) -> bool:
    value = _value_of(resource, rule.attribute)
    if rule.operator == "LIKE":
        return _like(_as_text(value), rule.value)
    if rule.operator in ("EQ", "NEQ"):
        equal = _as_text(value) == rule.value
        return equal if rule.operator == "EQ" else not equal
    if value is None:
        return False
    left, right = _comparable(value, rule.value)
    if rule.operator == "LT":
        return left < right
    if rule.operator == "LE":
        return left <= right
    if rule.operator == "GT":
        return left > right
    return left >= right


def _like(text: str, pattern: str) -> bool:
    # NOTE: Optiply does not document LIKE's wildcard; the sandbox reads `%` as "any characters", matches
    # case-insensitively, and treats a pattern without `%` as a substring search.
    if "%" not in pattern:
        return pattern.lower() in text.lower()
    regex = ".*".join(re.escape(part) for part in pattern.split("%"))
    return re.fullmatch(regex, text, flags=re.IGNORECASE | re.DOTALL) is not None


def _as_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _comparable(value: Any, raw: str) -> tuple[Any, Any]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return value, float(raw)
        except ValueError:
            pass
    return _as_text(value), raw
