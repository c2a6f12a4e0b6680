"""A client for the parts of Optiply's API that the supplier export uses."""

from __future__ import annotations

import logging
from typing import Any, Iterator, Mapping, Optional

import requests

from pipelines.config import OptiplyConfiguration
from pipelines.optiply.auth import TokenProvider
from pipelines.optiply.errors import OptiplyAuthError, OptiplyError, OptiplyRequestError, read_api_message, redact
from pipelines.optiply.retry import AttemptObserver, RequestAttempt, RetryPolicy, send_with_retries

logger = logging.getLogger(__name__)

JSON_API_MEDIA_TYPE = "application/vnd.api+json"
# The largest page Optiply serves.
PAGE_LIMIT = 100
# (connect, read) timeouts in seconds.
DEFAULT_TIMEOUT = (10.0, 60.0)

Resource = dict[str, Any]


class OptiplyClient:
    """Reads and writes Optiply suppliers, with the token, retries and error handling that every call needs."""

    def __init__(
        self,
        config: OptiplyConfiguration,
        *,
        retry_policy: Optional[RetryPolicy] = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        observer: Optional[AttemptObserver] = None,
        session: Optional[requests.Session] = None,
    ) -> None:
        self.config = config
        self._session = session or requests.Session()
        self._policy = retry_policy or RetryPolicy()
        self._timeout = timeout
        self.observer = observer
        self._tokens = TokenProvider(config, self._session, self._policy, timeout, observer=self._observe)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> OptiplyClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def list_suppliers(self) -> Iterator[list[Resource]]:
        """Yield every supplier of the account, one page of JSON:API resources at a time, in id order."""
        offset = 0
        while True:
            params = {"page[limit]": PAGE_LIMIT, "page[offset]": offset, "sort": "id"}
            body = self._request("GET", "/suppliers", params=params, idempotent=True)
            page = body.get("data") or []
            if not isinstance(page, list):
                raise OptiplyRequestError("GET", "/suppliers", 200, "the reply's data is not a list")
            if page:
                yield page
            if len(page) < PAGE_LIMIT:
                return
            offset += PAGE_LIMIT

    def create_supplier(self, attributes: Mapping[str, Any]) -> Resource:
        """POST a new supplier and return it. Raises OptiplyUncertainWriteError when the reply was lost."""
        body = self._request(
            "POST", "/suppliers", params=self._write_params(), json_body=self._document(attributes), idempotent=False
        )
        return _single_resource(body, "POST", "/suppliers")

    def update_supplier(self, supplier_id: int, attributes: Mapping[str, Any]) -> Resource:
        """PATCH the given attributes of supplier `supplier_id` and return it."""
        path = f"/suppliers/{int(supplier_id)}"
        document = self._document(attributes)
        document["data"]["id"] = str(supplier_id)
        # A PATCH that sets the same attributes twice ends in the same state, so it is retried like a read.
        body = self._request("PATCH", path, params=self._write_params(), json_body=document, idempotent=True)
        return _single_resource(body, "PATCH", path)

    def _write_params(self) -> dict[str, Any]:
        return {"accountId": self.config.account_id, "couplingId": self.config.coupling_id}

    def _document(self, attributes: Mapping[str, Any]) -> dict[str, Any]:
        sent = dict(attributes)
        if "remoteId" in sent:
            # Optiply stores remoteId under the coupling given next to it in the attributes.
            sent["couplingId"] = self.config.coupling_id
        return {"data": {"type": "suppliers", "attributes": sent}}

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Mapping[str, Any]] = None,
        json_body: Optional[Any] = None,
        idempotent: bool,
    ) -> dict[str, Any]:
        url = f"{self.config.api_url}{path}"
        response = self._send(method, url, params, json_body, idempotent)
        if response.status_code == 401:
            logger.info("Optiply rejected the access token on %s %s; requesting a new one", method, path)
            self._tokens.invalidate()
            response = self._send(method, url, params, json_body, idempotent)
            if response.status_code == 401:
                raise OptiplyAuthError(method, path, 401, self._message(response) + " (after a fresh token)")
        if response.status_code == 403:
            raise OptiplyAuthError(method, path, 403, self._message(response))
        if not response.ok:
            raise OptiplyRequestError(method, path, response.status_code, self._message(response))
        if not response.content:
            return {}
        try:
            body = response.json()
        except ValueError as error:
            raise OptiplyRequestError(method, path, response.status_code, "the reply is not JSON") from error
        if not isinstance(body, dict):
            raise OptiplyRequestError(method, path, response.status_code, "the reply is not a JSON object")
        return body

    def _send(
        self,
        method: str,
        url: str,
        params: Optional[Mapping[str, Any]],
        json_body: Optional[Any],
        idempotent: bool,
    ) -> requests.Response:
        headers = {
            "Authorization": f"Bearer {self._tokens.token()}",
            "Content-Type": JSON_API_MEDIA_TYPE,
            "Accept": JSON_API_MEDIA_TYPE,
        }
        return send_with_retries(
            self._session,
            method,
            url,
            idempotent=idempotent,
            policy=self._policy,
            timeout=self._timeout,
            observer=self._observe,
            params=params,
            json=json_body,
            headers=headers,
        )

    def _message(self, response: requests.Response) -> str:
        return redact(read_api_message(response), self._tokens.secrets())

    def _observe(self, attempt: RequestAttempt) -> None:
        # Looked up at call time, so the exporter can attach its request log after creating the client.
        if self.observer is not None:
            self.observer(attempt)


def _single_resource(body: dict[str, Any], method: str, path: str) -> Resource:
    resource = body.get("data")
    if not isinstance(resource, dict) or "id" not in resource:
        raise OptiplyError(f"Optiply {method} {path} replied without data.id, so the supplier's id is unknown.")
    return resource
