"""Sending one HTTP request to Optiply with bounded retries on 429, 5xx, timeouts and dropped connections."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

import requests

from pipelines.optiply.errors import OptiplyRequestError, OptiplyUncertainWriteError

logger = logging.getLogger(__name__)

# Optiply documents no rate limit and no error statuses beyond 400/401/404, so every 5xx is treated as transient.
RETRYABLE_STATUS_CODES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry; delays are in seconds."""

    max_attempts: int = 5
    initial_delay: float = 1.0
    max_delay: float = 30.0
    # A Retry-After longer than this is not waited for: the request fails, so a scheduler can run the job later.
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"RetryPolicy.max_attempts must be at least 1, got {self.max_attempts}.")

    def backoff(self, attempt: int) -> float:
        """Return the exponential delay after failed attempt number `attempt` (1-based)."""
        return min(self.initial_delay * 2 ** (attempt - 1), self.max_delay)


@dataclass(frozen=True)
class RequestAttempt:
    """One HTTP request sent to Optiply, as the exporter writes it to its request log."""

    method: str
    path: str
    attempt: int
    status_code: Optional[int]
    error: Optional[str]
    # "token" for the OAuth token endpoint, "api" for everything else.
    kind: str = "api"


AttemptObserver = Callable[[RequestAttempt], None]


def send_with_retries(
    session: requests.Session,
    method: str,
    url: str,
    *,
    idempotent: bool,
    policy: RetryPolicy,
    timeout: tuple[float, float],
    observer: Optional[AttemptObserver] = None,
    kind: str = "api",
    sleep: Callable[[float], None] = time.sleep,
    **request_arguments: Any,
) -> requests.Response:
    """Send a request and return the first response that is not worth retrying, or the last one.

    Raises OptiplyRequestError when the connection keeps failing, and OptiplyUncertainWriteError when a
    non-idempotent request lost its connection after it may have reached Optiply.
    """
    path = urlsplit(url).path
    for attempt in range(1, policy.max_attempts + 1):
        try:
            response = session.request(method, url, timeout=timeout, **request_arguments)
        except requests.ConnectTimeout as error:
            # The TCP connection was never made, so nothing was sent: safe to retry even a POST.
            failure = _describe_connection_error(error)
        except (requests.ConnectionError, requests.Timeout) as error:
            failure = _describe_connection_error(error)
            if not idempotent:
                _notify(observer, RequestAttempt(method, path, attempt, None, failure, kind))
                logger.warning("Optiply %s %s lost its connection on attempt %d: %s", method, path, attempt, failure)
                raise OptiplyUncertainWriteError(method, path, failure) from error
        else:
            _notify(observer, RequestAttempt(method, path, attempt, response.status_code, None, kind))
            if response.status_code not in RETRYABLE_STATUS_CODES or attempt == policy.max_attempts:
                return response
            delay = _retry_delay(response, attempt, policy)
            if delay is None:
                return response
            logger.warning(
                "Optiply %s %s returned HTTP %d on attempt %d of %d; retrying in %.1f s",
                method,
                path,
                response.status_code,
                attempt,
                policy.max_attempts,
                delay,
            )
            sleep(delay)
            continue

        _notify(observer, RequestAttempt(method, path, attempt, None, failure, kind))
        if attempt == policy.max_attempts:
            raise OptiplyRequestError(method, path, None, f"{failure} (gave up after {attempt} attempts)")
        delay = policy.backoff(attempt)
        logger.warning(
            "Optiply %s %s failed on attempt %d of %d (%s); retrying in %.1f s",
            method,
            path,
            attempt,
            policy.max_attempts,
            failure,
            delay,
        )
        sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises on its last attempt")


def _retry_delay(response: requests.Response, attempt: int, policy: RetryPolicy) -> Optional[float]:
    """Return the seconds to wait before the next attempt, or None when Retry-After exceeds the maximum wait."""
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if retry_after is None:
        return policy.backoff(attempt)
    if retry_after > policy.max_retry_after:
        logger.warning(
            "Optiply asked to retry after %.0f s, longer than the maximum of %.0f s; not retrying",
            retry_after,
            policy.max_retry_after,
        )
        return None
    return retry_after


def parse_retry_after(value: Optional[str]) -> Optional[float]:
    """Parse a Retry-After header given in seconds or as an HTTP date; None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - datetime.now(timezone.utc)).total_seconds())


def _describe_connection_error(error: requests.RequestException) -> str:
    # Only the class name is kept, because urllib3's text repeats the URL and the connection object.
    return f"{type(error).__name__} while waiting for Optiply"


def _notify(observer: Optional[AttemptObserver], attempt: RequestAttempt) -> None:
    if observer is not None:
        observer(attempt)
