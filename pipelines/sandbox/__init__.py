"""Fake Picqer and Optiply APIs on 127.0.0.1 for tests and local runs, faults included."""

from pipelines.sandbox.dataset import SAMPLE_DIR
from pipelines.sandbox.server import Sandbox

__all__ = ["SAMPLE_DIR", "Sandbox"]
