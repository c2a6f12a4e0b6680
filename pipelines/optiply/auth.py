"""The OAuth2 access token for Optiply's API: fetched with the password grant and cached for the run."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable, Optional

import requests

from pipelines.config import OptiplyConfiguration
from pipelines.optiply.errors import OptiplyAuthError, OptiplyRequestError, read_api_message, redact
from pipelines.optiply.retry import AttemptObserver, RetryPolicy, send_with_retries

logger = logging.getLogger(__name__)

# Optiply may refuse a new token while the old one is still valid, so the token is reused until shortly before it
# expires: one minute before, or halfway through its lifetime when that is shorter than two minutes.
MAX_EXPIRY_MARGIN_SECONDS = 60.0


@dataclass(frozen=True)
class AccessToken:
    value: str
    expires_at: float  # on the time.monotonic() clock


class TokenProvider:
    """Fetches an access token with the password grant and returns the cached one while it is fresh."""

    def __init__(
        self,
        config: OptiplyConfiguration,
        session: requests.Session,
        policy: RetryPolicy,
        timeout: tuple[float, float],
        observer: Optional[AttemptObserver] = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._session = session
        self._policy = policy
        self._timeout = timeout
        self._observer = observer
        self._clock = clock
        self._token: Optional[AccessToken] = None

    def token(self) -> str:
        """Return a valid access token, requesting one only when none is cached or the cached one is expiring."""
        if self._token is None or self._clock() >= self._token.expires_at:
            self._token = self._request_token()
        return self._token.value

    def invalidate(self) -> None:
        """Forget the cached token, after the API rejected it with a 401."""
        self._token = None

    def secrets(self) -> tuple[Optional[str], ...]:
        """Return every credential value, so callers can strip them from any text they log or raise."""
        cached = self._token.value if self._token else None
        config = self._config
        return (cached, config.client_id, config.client_secret, config.username, config.password)

    def _request_token(self) -> AccessToken:
        config = self._config
        logger.info("Requesting an Optiply access token for account %s", config.account_id)
        response = send_with_retries(
            self._session,
            "POST",
            config.token_url,
            # Asking for a second token is harmless, so the token request is retried like a read.
            idempotent=True,
            policy=self._policy,
            timeout=self._timeout,
            observer=self._observer,
            kind="token",
            data={"grant_type": "password", "username": config.username, "password": config.password},
            auth=(config.client_id, config.client_secret),
            headers={"Accept": "application/json"},
        )
        path = response.request.path_url.split("?")[0] if response.request else config.token_url
        if response.status_code in (400, 401, 403):
            message = redact(read_api_message(response), self.secrets())
            raise OptiplyAuthError(
                "POST",
                path,
                response.status_code,
                f"{message} (check optiply.client_id, client_secret, username and password)",
            )
        if not response.ok:
            raise OptiplyRequestError("POST", path, response.status_code, redact(read_api_message(response), self.secrets()))
        try:
            body = response.json()
            value = str(body["access_token"])
            # NOTE: a reply without expires_in is assumed to last an hour; a 401 before then gets a new token anyway.
            lifetime = float(body.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError) as error:
            raise OptiplyRequestError(
                "POST", path, response.status_code, "the token reply has no access_token"
            ) from error
        margin = min(MAX_EXPIRY_MARGIN_SECONDS, lifetime / 2)
        logger.info("Received an Optiply access token valid for %.0f s", lifetime)
        return AccessToken(value=value, expires_at=self._clock() + lifetime - margin)
