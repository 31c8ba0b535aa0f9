"""HR keeps plans, enrollments and runs; HR approvers read them and approve runs. Nobody else
sees salaries-grade data: employees read their own statement through the self-service API."""

from django.db import migrations

from cxoffice.migration_utils import grant_to_roles, revoke_from_roles

MODELS = ["plan", "component", "gate", "enrollment", "run", "line", "adjustment"]
READ = [f"view_{model}" for model in MODELS]
WRITE = [f"{verb}_{model}" for model in MODELS for verb in ("add", "change", "delete")]
ROLE_PERMISSIONS = {
    "HR": READ + WRITE + ["pay_run"],
    "HR approver": [*READ, "approve_run"],
}
create_roles = grant_to_roles("bonuses", ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("bonuses", "0001_initial"), ("departments", "0002_roles")]
    operations = [
        migrations.RunPython(create_roles, revoke_from_roles("bonuses", ROLE_PERMISSIONS))
    ]
