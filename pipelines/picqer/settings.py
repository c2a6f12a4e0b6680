"""Constants of Picqer's REST API and of how this pipeline reads it."""

from datetime import timedelta

PAGE_SIZE = 100
"""Rows per list page. Picqer has no page-size parameter; a shorter page is the last one."""

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
"""Picqer's timestamps: naive, in the account's local time (Europe/Amsterdam in practice)."""

UPDATED_LOOKBACK = timedelta(hours=3)
"""How far before the newest `updated` value the next incremental read starts.

The cursor is Picqer's own naive local time, so the hour that occurs twice when summer time ends can hold changes
that sort before the newest value already read; undocumented inclusivity of `updated_after` and orders sharing one
second are covered by the same overlap. Rows read twice are merged on their primary key.
"""

DEFAULT_MAX_CONCURRENCY = 4
"""Most list pages in flight at once. Four keep up with 500 requests a minute while replies take under 480 ms."""

REQUEST_TIMEOUT_SECONDS = 60.0
MAX_ATTEMPTS = 6
"""Failures per request (5xx, HTML page, dropped connection, timeout, broken body) before the extract stops."""

MAX_RATE_LIMITED_ATTEMPTS = 30
"""429 replies per request before the extract stops: about ten minutes at Picqer's usual wait."""

BACKOFF_BASE_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 30.0
RATE_LIMIT_WAIT_SECONDS = 20.0
"""Wait after a 429 without `Retry-After`; Picqer documents none, and peers wait about this long."""

RATE_LIMIT_ERROR_CODE = 28

PURCHASE_ORDERS_PATH = "/purchaseorders"
SUPPLIERS_PATH = "/suppliers"
FULFILMENT_CUSTOMERS_PATH = "/fulfilment/customers"
