"""Everyone signed in reads KPIs and results; data stewards write results (for the departments
they steward — the services check that)."""

from django.db import migrations

from cxoffice.migration_utils import grant_to_roles, revoke_from_roles

READ = ["view_kpi", "view_kpiresult", "view_historicalkpiresult"]
WRITE = ["add_kpiresult", "change_kpiresult", "delete_kpiresult"]
ROLE_PERMISSIONS = {
    "HR": READ,
    "HR approver": READ,
    "Data steward": READ + WRITE,
    "Project owner": READ,
    "Executive": READ,
    "Employee": READ,
}
create_roles = grant_to_roles("kpis", ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("kpis", "0001_initial"), ("departments", "0002_roles")]
    operations = [migrations.RunPython(create_roles, revoke_from_roles("kpis", ROLE_PERMISSIONS))]
