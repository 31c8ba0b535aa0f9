"""Executives log their days of service and findings (their own only: the services check it);
HR reads every day and keeps the quotas."""

from django.db import migrations

from cxoffice.migration_utils import grant_to_roles, revoke_from_roles

READ = ["view_serviceday", "view_finding", "view_quota"]
WRITE = [f"{verb}_{model}" for model in ("serviceday", "finding") for verb in ("add", "change", "delete")]
QUOTAS = ["add_quota", "change_quota", "delete_quota"]
ROLE_PERMISSIONS = {
    "HR": READ + QUOTAS,
    "HR approver": READ,
    "Executive": READ + WRITE,
}
create_roles = grant_to_roles("service_days", ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("service_days", "0001_initial"), ("departments", "0002_roles")]
    operations = [
        migrations.RunPython(create_roles, revoke_from_roles("service_days", ROLE_PERMISSIONS))
    ]
