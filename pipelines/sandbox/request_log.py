"""One entry of the log of requests that a sandbox server received, for tests to inspect."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the sandbox received it, with the status it returned.

    `path` is the path without the API prefix for Picqer (`/purchaseorders`), the full path for Optiply
    (`/v1/suppliers`). `status` is None when the connection was dropped before any status was decided, and
    `dropped` is true whenever no response reached the client. Fields are also readable by key (`request["path"]`).
    """

    method: str
    path: str
    query: dict[str, str]
    status: int | None
    key_kind: str
    body: Any = None
    fault: str | None = None
    dropped: bool = False

    def __getitem__(self, name: str) -> Any:
        if name not in self.__dataclass_fields__:
            raise KeyError(name)
        return getattr(self, name)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

