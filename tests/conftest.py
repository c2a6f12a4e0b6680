"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pipelines.sandbox import SAMPLE_DIR, Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fake Picqer and Optiply serving the sample account, fresh for each test."""
    with Sandbox(data_dir=SAMPLE_DIR) as running:
        yield running
