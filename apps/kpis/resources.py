"""CSV/XLSX import and export of KPI results in the admin (django-import-export).

The file's rows go through the same :class:`~apps.kpis.services.ResultRowReader` as the bulk
API: every rule of a single write, each refusal reported on its row and column in the preview,
and nothing written unless every row is valid (the import runs in one transaction).

Columns: ``kpi`` (code), ``scope`` (optional: inferred), ``department`` (code), ``employee``
(number), ``period``, ``value`` (or ``numerator`` and ``denominator``), ``sample_size``, ``note``.
"""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from import_export import fields, resources

from cxoffice.errors import ApplicationError

from . import services
from .models import KPIResult, Source

COLUMNS = ("kpi", "scope", "department", "employee", "period", "value", "numerator",
           "denominator", "sample_size", "note")  # fmt: skip


class KPIResultResource(resources.ModelResource):
    kpi = fields.Field(attribute="kpi__code", column_name="kpi")
    department = fields.Field(attribute="department__code", column_name="department")
    employee = fields.Field(attribute="employee__employee_number", column_name="employee")

    class Meta:
        model = KPIResult
        fields = COLUMNS
        export_order = COLUMNS
        import_id_fields: tuple = ()
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
        clean_model_instances = False

    # -- import: rows are checked by the service's reader, not by widgets ---------------------

    def before_import(self, dataset, **kwargs):
        self._user = kwargs.get("user")
        self._reader = services.ResultRowReader(user=self._user)
        self._checked: dict[int, services.ResultRow | ApplicationError] = {}
        for number, row in enumerate(dataset.dict, start=1):
            try:
                self._checked[number] = self._reader.read(dict(row), label=number)
            except ApplicationError as error:
                self._checked[number] = error
        rows = [row for row in self._checked.values() if isinstance(row, services.ResultRow)]
        self._existing = services.existing_results(rows)

    def import_row(self, row, instance_loader, **kwargs):
        self._row_number = kwargs.get("row_number")
        return super().import_row(row, instance_loader, **kwargs)

    def get_or_init_instance(self, instance_loader, row):
        checked = self._checked.get(self._row_number)
        if isinstance(checked, ApplicationError):
            raise ValidationError({checked.field or NON_FIELD_ERRORS: [str(checked.message)]})
        instance = self._existing.get(checked.key)
        new = instance is None
        if new:
            instance = KPIResult(
                kpi=checked.kpi,
                scope=checked.scope,
                department=checked.department,
                employee=checked.employee,
            )
        instance._checked_row = checked
        return instance, new

    def import_instance(self, instance, row, **kwargs):
        """Show the checked values (derived ratio included) in the preview's diff."""
        checked = instance._checked_row
        if instance.pk is None or not checked.is_unchanged(instance):
            instance.period = checked.values.period.key
            instance.value = checked.values.value
            instance.numerator = checked.values.numerator
            instance.denominator = checked.values.denominator
            instance.sample_size = checked.values.sample_size
            instance.note = checked.note

    def skip_row(self, instance, original, row, import_validation_errors=None):
        return instance.pk is not None and instance._checked_row.is_unchanged(original)

    def save_instance(self, instance, is_create, row, **kwargs):
        checked = instance._checked_row
        services.kpi_result_write(
            result=instance,
            values=checked.values,
            note=checked.note,
            source=Source.IMPORT,
            user=self._user,
        )
