"""Errors raised by the Optiply client, from the one worth retrying to the one that stops a run."""

from __future__ import annotations

from typing import Any, Iterable, Optional


class OptiplyError(RuntimeError):
    """A request to Optiply failed; the message names the request and never contains a credential."""


class OptiplyRequestError(OptiplyError):
    """Optiply returned an error status, or the request kept failing until the retries ran out."""

    def __init__(self, method: str, path: str, status_code: Optional[int], api_message: str) -> None:
        self.method = method
        self.path = path
        self.status_code = status_code
        self.api_message = api_message
        status = f"HTTP {status_code}" if status_code is not None else "no response"
        super().__init__(f"Optiply {method} {path} failed with {status}: {api_message}")

    @property
    def is_rejection(self) -> bool:
        """True for a 4xx reply: Optiply read the request and did not apply it."""
        return self.status_code is not None and 400 <= self.status_code < 500


class OptiplyAuthError(OptiplyRequestError):
    """The credentials were rejected (a 401 after a fresh token, a 403, or a refused token request).

    Every later request would fail the same way, so the exporter stops the run on this error.
    """


class OptiplyExportStoppedError(OptiplyError):
    """The exporter stopped a run because Optiply kept rejecting suppliers the same way; the rest wait for the
    next run."""


class OptiplyUncertainWriteError(OptiplyError):
    """The connection failed while a non-idempotent write (a POST) was in flight.

    Optiply may or may not have committed it. Sending it again could create a duplicate, so the caller must look
    the resource up before deciding to send it again.
    """

    def __init__(self, method: str, path: str, cause: str) -> None:
        self.method = method
        self.path = path
        super().__init__(f"Optiply {method} {path} may or may not have been applied: {cause}")


# Long enough to show a validation message in full, short enough that an HTML error page does not flood the log.
MAX_MESSAGE_LENGTH = 500


def read_api_message(response: Any) -> str:
    """Return the error text of an Optiply reply: `errors[].detail`, `meta.message` or `message`, else the raw body.

    `response` is a `requests.Response`. It is typed as Any so that this module does not import requests.
    """
    try:
        body = response.json()
    except ValueError:
        body = None
    messages = _messages_from_body(body) if isinstance(body, dict) else []
    text = "; ".join(messages) if messages else (response.text or "").strip()
    if not text:
        text = response.reason or "no message"
    text = " ".join(text.split())
    if len(text) > MAX_MESSAGE_LENGTH:
        text = text[:MAX_MESSAGE_LENGTH] + " …"
    return text


def _messages_from_body(body: dict[str, Any]) -> list[str]:
    messages: list[str] = []
    errors = body.get("errors")
    if isinstance(errors, list):
        for error in errors:
            if not isinstance(error, dict):
                continue
            meta = error.get("meta")
            detail = error.get("detail") or (meta.get("message") if isinstance(meta, dict) else None)
            detail = detail or error.get("message") or error.get("title")
            if detail:
                messages.append(str(detail))
    meta = body.get("meta")
    if not messages and isinstance(meta, dict) and meta.get("message"):
        messages.append(str(meta["message"]))
    if not messages and body.get("message"):
        messages.append(str(body["message"]))
    return messages


def redact(text: str, secrets: Iterable[Optional[str]]) -> str:
    """Replace every occurrence of a secret in `text` with `***`, longest first so that no fragment is left."""
    for secret in sorted((value for value in secrets if value), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
