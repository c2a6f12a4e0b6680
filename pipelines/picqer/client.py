"""HTTP client for Picqer's REST API: authentication, paging, retries and error messages."""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Iterator, Mapping, Optional
from urllib.parse import urlsplit

import requests

from pipelines.picqer.settings import (
    BACKOFF_BASE_SECONDS,
    BACKOFF_MAX_SECONDS,
    MAX_ATTEMPTS,
    PAGE_SIZE,
    RATE_LIMIT_WAIT_SECONDS,
    REQUEST_TIMEOUT_SECONDS,
)

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

Row = dict[str, Any]


class PicqerError(RuntimeError):
    """Picqer returned something the pipeline cannot use; the message names the request and what to do."""


class PicqerAuthError(PicqerError):
    """The API key was rejected on an endpoint every key may read."""


class PicqerNotFoundError(PicqerError):
    """A list endpoint returned 404, which means a wrong subdomain or base URL, never an empty list."""


class PicqerUnavailableError(PicqerError):
    """A request kept failing with retryable errors until the attempts ran out."""


@dataclass(frozen=True)
class PicqerResponse:
    status_code: int
    rows: Optional[list[Row]]
    """The decoded JSON array for a 2xx reply, else None."""
    error_message: str


class PicqerClient:
    """Reads Picqer with HTTP Basic auth (the key is the user name), retrying what is safe to retry.

    A 429 was not processed by Picqer, so the exact same request (offset included) is sent again.
    """

    def __init__(self, api_root: str, api_key: str, user_agent: str, session: Optional[requests.Session] = None):
        self.api_root = api_root.rstrip("/")
        self.host = urlsplit(self.api_root).netloc
        self.session = session or requests.Session()
        self.session.auth = (api_key, "")
        self.session.headers.update({"User-Agent": user_agent, "Accept": "application/json"})
        self.request_count = 0

    def get(self, path: str, params: Optional[Mapping[str, Any]] = None) -> PicqerResponse:
        """Send one GET, retrying 429s, 5xx, HTML pages, dropped connections, broken JSON and timeouts.

        Returns the final reply, whose status is 2xx or a non-retryable 4xx; raises PicqerUnavailableError when the
        attempts run out.
        """
        url = f"{self.api_root}{path}"
        last_problem = ""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self.request_count += 1
            try:
                reply = self.session.get(url, params=params, timeout=REQUEST_TIMEOUT_SECONDS)
            except (requests.ConnectionError, requests.Timeout) as error:
                last_problem = f"{type(error).__name__}"
                wait = _backoff_seconds(attempt)
            else:
                if reply.status_code not in RETRYABLE_STATUSES:
                    response = _decode(reply, path)
                    if response is not None:
                        return response
                    last_problem = "a 2xx reply whose body is not a JSON array"
                    wait = _backoff_seconds(attempt)
                else:
                    last_problem = f"HTTP {reply.status_code}: {_error_message(reply)}"
                    wait = _retry_wait_seconds(reply, attempt)
            if attempt == MAX_ATTEMPTS:
                break
            logger.warning(
                "Picqer GET %s %s failed (%s); retrying in %.1f s (attempt %d of %d)",
                path, _describe_params(params), last_problem, wait, attempt + 1, MAX_ATTEMPTS,
            )
            time.sleep(wait)
        raise PicqerUnavailableError(
            f"Picqer GET {path} {_describe_params(params)} on {self.host} failed {MAX_ATTEMPTS} times; the last "
            f"failure was {last_problem}. Try again later."
        )

    def get_rows(self, path: str, params: Optional[Mapping[str, Any]] = None) -> list[Row]:
        """GET a list page and return its rows, raising a PicqerError that says what to fix for any 4xx."""
        response = self.get(path, params)
        if response.rows is not None:
            return response.rows
        raise self.error_for(path, response)

    def iter_pages(
        self, path: str, params: Optional[Mapping[str, Any]] = None, first_page: Optional[list[Row]] = None
    ) -> Iterator[list[Row]]:
        """Yield every page of a list endpoint, stopping after the first page shorter than PAGE_SIZE.

        `first_page` is the reply to offset 0 when the caller already has it (the key probe reads the first
        supplier page), so it is not requested twice.
        """
        offset = 0
        page = first_page
        while True:
            if page is None:
                page = self.get_rows(path, {**(params or {}), "offset": offset})
            if page:
                yield page
            if len(page) < PAGE_SIZE:
                return
            offset += PAGE_SIZE
            page = None

    def error_for(self, path: str, response: PicqerResponse) -> PicqerError:
        status = response.status_code
        detail = f"Picqer GET {path} on {self.host} returned HTTP {status}: {response.error_message}"
        if status == 401:
            return PicqerAuthError(
                f"{detail}. The API key was rejected: set sources.picqer.api_key (environment variable "
                "SOURCES__PICQER__API_KEY) to a valid, unrevoked key."
            )
        if status == 404:
            return PicqerNotFoundError(
                f"{detail}. A list endpoint that does not exist means the account address is wrong: check "
                "sources.picqer.subdomain or sources.picqer.base_url."
            )
        if status == 403:
            return PicqerAuthError(f"{detail}. The API key has no access to this endpoint.")
        return PicqerError(f"{detail}.")


def _decode(reply: requests.Response, path: str) -> Optional[PicqerResponse]:
    """Return the reply as a PicqerResponse, or None when a 2xx body is not a JSON array (a broken reply)."""
    if reply.status_code >= 300:
        return PicqerResponse(reply.status_code, None, _error_message(reply))
    try:
        body = reply.json()
    except ValueError:
        logger.warning("Picqer GET %s returned HTTP %d with a body that is not JSON", path, reply.status_code)
        return None
    if not isinstance(body, list):
        logger.warning("Picqer GET %s returned HTTP %d with JSON that is not a list", path, reply.status_code)
        return None
    return PicqerResponse(reply.status_code, body, "")


def _error_message(reply: requests.Response) -> str:
    """Read Picqer's `error_message` when the body is its JSON error, else a short, single-line excerpt."""
    try:
        body = reply.json()
    except ValueError:
        text = " ".join(reply.text.split())
        kind = "HTML page" if "<html" in text.lower() else "body"
        return f"{kind} {text[:120]!r}" if text else "empty body"
    if isinstance(body, dict) and body.get("error_message"):
        code = body.get("error_code")
        return f"{body['error_message']} (error_code {code})" if code is not None else str(body["error_message"])
    return repr(body)[:200]


def _retry_wait_seconds(reply: requests.Response, attempt: int) -> float:
    retry_after = _parse_retry_after(reply.headers.get("Retry-After"))
    if retry_after is not None:
        return retry_after
    if reply.status_code == 429:
        return RATE_LIMIT_WAIT_SECONDS
    return _backoff_seconds(attempt)


def _parse_retry_after(value: Optional[str]) -> Optional[float]:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _backoff_seconds(attempt: int) -> float:
    """Exponential backoff with full jitter, so parallel clients do not retry in step."""
    ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)


def _describe_params(params: Optional[Mapping[str, Any]]) -> str:
    if not params:
        return ""
    return "(" + ", ".join(f"{key}={value}" for key, value in params.items()) + ")"
