"""Shared plumbing of the benchmark commands (bench_bonus, bench_records, bench_scorecard)."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import resource
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection
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


def settle(*tables: str) -> None:
    """Before a timed step on PostgreSQL: the tables vacuumed (the rows an earlier step
    deleted) and the dirty buffers written out, so that no step pays for another's leftovers —
    autovacuum or a checkpoint landing in one of two compared timings skewed their ratio by a
    fifth. Nothing on SQLite; a step the server refuses (no right to CHECKPOINT) is skipped."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'VACUUM ANALYZE "{table}"')
        with contextlib.suppress(DatabaseError):
            cursor.execute("CHECKPOINT")


def peak_reset() -> int:
    """Reset this process's peak RSS to its current RSS (Linux; kB). A fresh process's
    ``ru_maxrss`` starts at its parent's peak (exec keeps the old image's high-water mark), and
    start-up (imports, migrations) can peak above what it keeps: either would hide a small
    load's growth."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        # Memory the process freed but still holds (a data set built before) goes back to the
        # system first: else a measured step reusing it would show no growth at all.
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:  # not Linux: the peak so far, start-up included
        return peak_kb()
    return _status_kb("VmRSS")


def peak_kb() -> int:
    """This process's peak RSS since :func:`peak_reset` (kB)."""
    try:
        return _status_kb("VmHWM")
    except OSError:  # not Linux; macOS counts ru_maxrss in bytes
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak // 1024 if sys.platform == "darwin" else peak


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    raise OSError(f"no {field} in /proc/self/status")
