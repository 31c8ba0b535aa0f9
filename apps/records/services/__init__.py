"""Writes of the records app: loading records (one loader, three doors) and computing KPIs."""

from .computing import COMPUTED_CODES, kpi_results_compute
from .loading import (
    LoadReport,
    Table,
    load_job_run,
    load_job_start,
    mapping_check_kind,
    open_table,
    records_bulk_load,
    records_load,
    table_from_rows,
)

__all__ = [
    "COMPUTED_CODES",
    "LoadReport",
    "Table",
    "kpi_results_compute",
    "load_job_run",
    "load_job_start",
    "mapping_check_kind",
    "open_table",
    "records_bulk_load",
    "records_load",
    "table_from_rows",
]
