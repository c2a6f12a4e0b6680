"""Finding a supplier that an earlier POST may have created, before the POST is sent again."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterable, Optional

from pipelines.optiply.client import Resource
from pipelines.optiply.sync_store import LinkOrigin

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SupplierMatch:
    optiply_supplier_id: int
    link_origin: LinkOrigin


def find_created_supplier(
    suppliers: Iterable[Resource], coupling_id: int, remote_id: Optional[str], name: str
) -> Optional[SupplierMatch]:
    """Return the Optiply supplier that a POST with this remote id (or, without one, this name) created.

    A remote id under our coupling is matched first, because the POST wrote it and no person or other
    integration writes under our coupling. Only when the supplier has no remote id is the name used, and then only
    a single exact match among suppliers created through the API that carry no remote id under our coupling.
    NOTE: names are not unique in Optiply, so that fallback leaves the supplier unmatched (and POSTs it again)
    when two such suppliers share the name.
    """
    coupling_key = str(coupling_id)
    name_matches: list[int] = []
    for resource in suppliers:
        attributes = resource.get("attributes") or {}
        remote_id_map = attributes.get("remoteIdMap") or {}
        our_remote_id = remote_id_map.get(coupling_key) if isinstance(remote_id_map, dict) else None
        if remote_id is not None and our_remote_id is not None and str(our_remote_id) == remote_id:
            return SupplierMatch(int(resource["id"]), "created")
        if (
            remote_id is None
            and our_remote_id is None
            and attributes.get("createdFromPublicApi") is True
            and attributes.get("name") == name
        ):
            name_matches.append(int(resource["id"]))
    if len(name_matches) == 1:
        return SupplierMatch(name_matches[0], "adopted_by_name")
    if len(name_matches) > 1:
        logger.warning("%d Optiply suppliers are named %r; adopting none of them", len(name_matches), name)
    return None
