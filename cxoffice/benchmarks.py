"""Shared plumbing of the benchmark commands (bench_bonus, bench_records, bench_scorecard)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.test import utils as test_utils


@contextmanager
def throwaway_database(*, keepdb: bool = False) -> Iterator[None]:
    """Run the block on a test database (``test_<name>_bench`` on a server; SQLite's in-memory
    one), created before and dropped after — never the configured database. ``keepdb`` keeps
    it between runs (the caller then rolls its writes back)."""
    settings_dict = connection.settings_dict
    test_settings = settings_dict.setdefault("TEST", {})
    if connection.vendor != "sqlite" and not test_settings.get("NAME"):
        test_settings["NAME"] = f"test_{settings_dict['NAME']}_bench"
    test_utils.setup_test_environment()
    try:
        old_config = test_utils.setup_databases(
            verbosity=0, interactive=False, keepdb=keepdb, serialized_aliases=set()
        )
        try:
            yield
        finally:
            test_utils.teardown_databases(old_config, verbosity=0, keepdb=keepdb)
    finally:
        test_utils.teardown_test_environment()
