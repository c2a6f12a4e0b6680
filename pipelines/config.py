"""Configuration of the job, resolved the dlt way.

Values come from environment variables first (`SOURCES__PICQER__API_KEY`, `OPTIPLY__ACCOUNT_ID`,
`WAREHOUSE__PATH`, ...), then `.dlt/secrets.toml`, then `.dlt/config.toml`. Each section is a dlt configspec,
so a missing value fails with dlt's own message listing every place it looked.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Optional
from urllib.parse import urlsplit

import dlt
from dlt.common.configuration import configspec, resolve_configuration
from dlt.common.configuration.specs import BaseConfiguration
from dlt.common.typing import TSecretStrValue

DEFAULT_WAREHOUSE_PATH = "warehouse/picqer_optiply.duckdb"


class ConfigurationError(ValueError):
    """A setting is missing or invalid; the message names the setting to change."""


@configspec
class PicqerConfiguration(BaseConfiguration):
    """The `[sources.picqer]` section."""

    api_key: TSecretStrValue = None
    user_agent: str = None
    subdomain: Optional[str] = None
    base_url: Optional[str] = None
    fulfilment_customer_id: Optional[int] = None
    max_concurrent_requests: int = 4
    """Most list pages requested at once; 1 reads one page at a time."""

    def api_root(self) -> str:
        """Return the API root without a trailing slash: `base_url` when set, else built from `subdomain`."""
        if self.base_url:
            root = self.base_url.rstrip("/")
        elif self.subdomain:
            root = f"https://{self.subdomain}.picqer.com/api/v1"
        else:
            raise ConfigurationError(
                "Picqer is not configured: set sources.picqer.subdomain (or sources.picqer.base_url, "
                "environment variable SOURCES__PICQER__BASE_URL)."
            )
        require_secure_url(root, "sources.picqer.base_url")
        return root


@configspec
class OptiplyConfiguration(BaseConfiguration):
    """The `[optiply]` section."""

    account_id: int = None
    coupling_id: int = None
    client_id: TSecretStrValue = None
    client_secret: TSecretStrValue = None
    username: TSecretStrValue = None
    password: TSecretStrValue = None
    api_url: str = "https://api.optiply.com/v1"
    token_url: str = "https://dashboard.optiply.nl/api/auth/oauth/token"

    def on_resolved(self) -> None:
        self.api_url = self.api_url.rstrip("/")
        require_secure_url(self.api_url, "optiply.api_url")
        require_secure_url(self.token_url, "optiply.token_url")


def resolve_picqer_configuration() -> PicqerConfiguration:
    return resolve_configuration(PicqerConfiguration(), sections=("sources", "picqer"))


def resolve_optiply_configuration() -> OptiplyConfiguration:
    return resolve_configuration(OptiplyConfiguration(), sections=("optiply",))


def warehouse_path() -> Path:
    """Return the absolute path of the DuckDB warehouse from `[warehouse] path`, relative to the working directory."""
    configured = dlt.config.get("warehouse.path", str) or DEFAULT_WAREHOUSE_PATH
    return Path(configured).expanduser().resolve()


def require_secure_url(url: str, setting: str) -> None:
    """Raise ConfigurationError unless `url` is https, or plain http to a loopback address."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return
    raise ConfigurationError(
        f"{setting} must be an https:// URL (plain http:// is accepted for 127.0.0.1 and localhost only), "
        f"got {url!r}."
    )


def _is_loopback(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


# Plain words for the types a setting can be mistyped as, for messages to people who edit TOML files.
TYPE_WORDS = {int: "whole number", float: "number", bool: "true or false"}


def describe_mistyped_setting(field_name: str, hint: object) -> str:
    """Return a message for a setting whose value dlt could not convert, naming where it is set but not its value.

    The value is left out because the field may be a secret.
    """
    expected = TYPE_WORDS.get(hint, "value of the expected type") if isinstance(hint, type) else "valid value"
    for section, spec in (("sources.picqer", PicqerConfiguration), ("optiply", OptiplyConfiguration)):
        if field_name in spec.__dataclass_fields__:
            variable = f"{section.replace('.', '__')}__{field_name}".upper()
            return (
                f"{section}.{field_name} must be a {expected}. Correct it in .dlt/config.toml or in the environment "
                f"variable {variable}."
            )
    return f"The setting {field_name} must be a {expected}. Correct it in .dlt/config.toml or its environment variable."
