"""Project owners and executives create and update BPI projects (object rules in the services:
owners edit their own, sponsors approve and verify); every other role reads them."""

from django.db import migrations

from cxoffice.migration_utils import grant_to_roles, revoke_from_roles

MODELS = ["project", "kpilink", "update", "milestone"]
READ = [f"view_{model}" for model in MODELS]
WRITE = [f"{verb}_{model}" for model in MODELS for verb in ("add", "change", "delete")]
ROLE_PERMISSIONS = {
    "HR": READ,
    "HR approver": READ,
    "Data steward": READ,
    "Project owner": READ + WRITE,
    "Executive": READ + WRITE,
    "Employee": READ,
}
create_roles = grant_to_roles("bpi", ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("bpi", "0001_initial"), ("departments", "0002_roles")]
    operations = [migrations.RunPython(create_roles, revoke_from_roles("bpi", ROLE_PERMISSIONS))]
