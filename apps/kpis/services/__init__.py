"""Writes of the kpis app (a package: KPI definitions, results, who may write numbers)."""

from .kpis import KPI_FIELDS, kpi_check_parent, kpi_create, kpi_update
from .results import (
    RESULT_CHANGE_FIELDS,
    RESULT_KEY_FIELDS,
    ResultValues,
    check_in_range,
    check_scope,
    infer_scope,
    kpi_result_check_update,
    kpi_result_delete,
    kpi_result_update,
    kpi_result_upsert,
    kpi_result_write,
    result_values,
)
from .rows import ResultRow, ResultRowReader, existing_results, kpi_results_bulk_upsert
from .writers import NumbersWriter

__all__ = [
    "KPI_FIELDS",
    "RESULT_CHANGE_FIELDS",
    "RESULT_KEY_FIELDS",
    "NumbersWriter",
    "ResultRow",
    "ResultRowReader",
    "ResultValues",
    "check_in_range",
    "check_scope",
    "existing_results",
    "infer_scope",
    "kpi_check_parent",
    "kpi_create",
    "kpi_result_check_update",
    "kpi_result_delete",
    "kpi_result_update",
    "kpi_result_upsert",
    "kpi_result_write",
    "kpi_results_bulk_upsert",
    "kpi_update",
    "result_values",
]  # fmt: skip
