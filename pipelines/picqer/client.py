"""HTTP client for Picqer's REST API: authentication, paging, retries and error messages."""

from __future__ import annotations

import logging
import random
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Iterator, Mapping, Optional
from urllib.parse import urlsplit

import requests

from pipelines.picqer.pacing import RateLimitPacer
from pipelines.picqer.settings import (
    BACKOFF_BASE_SECONDS,
    BACKOFF_MAX_SECONDS,
    DEFAULT_MAX_CONCURRENCY,
    MAX_ATTEMPTS,
    MAX_RATE_LIMITED_ATTEMPTS,
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

    A 429 was not processed by Picqer, so the exact same request (offset included) is sent again. List pages are
    fetched `max_concurrency` at a time at most, paced by the rate-limit headers; 1 reads one page at a time.
    """

    def __init__(
        self,
        api_root: str,
        api_key: str,
        user_agent: str,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        timeout_seconds: float = REQUEST_TIMEOUT_SECONDS,
        session: Optional[requests.Session] = None,
    ):
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        self.api_root = api_root.rstrip("/")
        self.host = urlsplit(self.api_root).netloc
        self.max_concurrency = max_concurrency
        self.timeout_seconds = timeout_seconds
        self.session = session or requests.Session()
        self.session.auth = (api_key, "")
        self.session.headers.update({"User-Agent": user_agent, "Accept": "application/json"})
        self.pacer = RateLimitPacer()
        self._count_lock = threading.Lock()
        self.request_count = 0

    def get(self, path: str, params: Optional[Mapping[str, Any]] = None) -> PicqerResponse:
        """Send one GET, retrying 429s, 5xx, HTML pages, dropped connections, broken JSON and timeouts.

        Returns the final reply, whose status is 2xx or a non-retryable 4xx; raises PicqerUnavailableError when the
        attempts run out.
        """
        url = f"{self.api_root}{path}"
        last_problem = ""
        failures = 0
        rate_limited = 0
        while True:
            self.pacer.wait_turn()
            with self._count_lock:
                self.request_count += 1
            started = time.monotonic()
            try:
                reply = self.session.get(url, params=params, timeout=self.timeout_seconds)
            except (requests.ConnectionError, requests.Timeout) as error:
                failures += 1
                last_problem = f"{type(error).__name__}"
                wait = _backoff_seconds(failures)
            else:
                self.pacer.observe(reply.headers, time.monotonic() - started)
                if reply.status_code == 429:
                    # Not processed by Picqer, so it has a budget of its own and does not count as a failure.
                    rate_limited += 1
                    last_problem = f"HTTP 429: {_error_message(reply)}"
                    wait = _retry_wait_seconds(reply, rate_limited)
                    self.pacer.pause(wait)
                elif reply.status_code not in RETRYABLE_STATUSES:
                    response = _decode(reply, path)
                    if response is not None:
                        return response
                    failures += 1
                    last_problem = "a 2xx reply whose body is not a JSON array"
                    wait = _backoff_seconds(failures)
                else:
                    failures += 1
                    last_problem = f"HTTP {reply.status_code}: {_error_message(reply)}"
                    wait = _retry_wait_seconds(reply, failures)
            if failures >= MAX_ATTEMPTS or rate_limited >= MAX_RATE_LIMITED_ATTEMPTS:
                break
            logger.warning(
                "Picqer GET %s %s failed (%s); retrying in %.1f s (%d failures, %d rate-limited so far)",
                path, _describe_params(params), last_problem, wait, failures, rate_limited,
            )
            time.sleep(wait)
        raise PicqerUnavailableError(
            f"Picqer GET {path} {_describe_params(params)} on {self.host} gave up after {failures} failures and "
            f"{rate_limited} rate-limited replies; the last was {last_problem}. Try again later."
        )

    def get_rows(self, path: str, params: Optional[Mapping[str, Any]] = None) -> list[Row]:
        """GET a list page and return its rows, raising a PicqerError that names the setting to fix for any 4xx."""
        response = self.get(path, params)
        if response.rows is not None:
            return response.rows
        raise self.error_for(path, response)

    def iter_pages(
        self, path: str, params: Optional[Mapping[str, Any]] = None, first_page: Optional[list[Row]] = None
    ) -> Iterator[list[Row]]:
        """Yield every page of a list endpoint in offset order, stopping after the first page shorter than PAGE_SIZE.

        Pages ahead of the one being yielded are requested concurrently. Picqer gives no total, so requests already
        in flight past the last page are wasted. To keep them few, the window starts at one request and grows only
        to what the rate limit can use at the observed latency. `first_page` is the reply to offset 0
        when the caller already has it (the key probe reads the first supplier page), so it is not requested again.
        """
        base = dict(params or {})
        with ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix="picqer-page") as pool:
            in_flight: dict[int, Future[list[Row]]] = {}
            next_offset = 0
            if first_page is not None:
                done: Future[list[Row]] = Future()
                done.set_result(first_page)
                in_flight[0] = done
                next_offset = PAGE_SIZE
            offset = 0
            window = 1
            while True:
                while len(in_flight) < window or offset not in in_flight:
                    in_flight[next_offset] = pool.submit(self.get_rows, path, {**base, "offset": next_offset})
                    next_offset += PAGE_SIZE
                page = in_flight.pop(offset).result()
                if page:
                    yield page
                if len(page) < PAGE_SIZE:
                    for pending in in_flight.values():
                        pending.cancel()
                    return
                offset += PAGE_SIZE
                window = min(window * 2, self.pacer.useful_concurrency(self.max_concurrency))

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
