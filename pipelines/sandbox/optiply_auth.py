"""OAuth2 tokens of the fake Optiply: issued by the password grant, renewed by the refresh grant."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

TOKEN_VALID = "valid"
TOKEN_EXPIRED = "expired"
TOKEN_UNKNOWN = "unknown"


@dataclass
class _Grant:
    refresh_token: str
    expires_at: float
    expired: bool = False


class TokenStore:
    """Thread-safe store of issued access tokens and their refresh tokens."""

    def __init__(self) -> None:
        self._grants: dict[str, _Grant] = {}
        self._refresh_tokens: set[str] = set()
        self._lock = threading.Lock()

    def issue(self, lifetime_seconds: int) -> dict[str, Any]:
        """Create a token pair and return the token endpoint's reply."""
        access_token = secrets.token_urlsafe(24)
        refresh_token = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[access_token] = _Grant(refresh_token, time.monotonic() + lifetime_seconds)
            self._refresh_tokens.add(refresh_token)
        return {
            "access_token": access_token,
            "refresh_token": refresh_token,
            "expires_in": lifetime_seconds,
            "token_type": "bearer",
        }

    def redeem_refresh_token(self, refresh_token: str) -> bool:
        """Consume `refresh_token`; return False when it was never issued or was already used."""
        with self._lock:
            if refresh_token not in self._refresh_tokens:
                return False
            self._refresh_tokens.discard(refresh_token)
            return True

    def check(self, access_token: str) -> str:
        """Return TOKEN_VALID, TOKEN_EXPIRED or TOKEN_UNKNOWN for `access_token`."""
        with self._lock:
            grant = self._grants.get(access_token)
            if grant is None:
                return TOKEN_UNKNOWN
            if grant.expired or time.monotonic() >= grant.expires_at:
                return TOKEN_EXPIRED
            return TOKEN_VALID

    def expire_all(self) -> None:
        """Expire every access token issued so far; tokens issued later stay valid."""
        with self._lock:
            for grant in self._grants.values():
                grant.expired = True
