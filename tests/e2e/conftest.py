"""Fixtures for real-browser tests (defined in e2e_server.py, which test modules can also import)."""

from e2e_server import *  # noqa: F401,F403 - pytest finds the fixtures through this module's names
