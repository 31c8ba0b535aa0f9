"""Everyone signed in reads targets; data stewards write their departments' targets, HR writes
employees' targets (the services check the scope)."""

from django.db import migrations

from cxoffice.migration_utils import grant_to_roles, revoke_from_roles

READ = ["view_target", "view_historicaltarget"]
WRITE = ["add_target", "change_target", "delete_target"]
ROLE_PERMISSIONS = {
    "HR": READ + WRITE,
    "HR approver": READ,
    "Data steward": READ + WRITE,
    "Project owner": READ,
    "Executive": READ,
    "Employee": READ,
}
create_roles = grant_to_roles("targets", ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("targets", "0001_initial"), ("departments", "0002_roles")]
    operations = [
        migrations.RunPython(create_roles, revoke_from_roles("targets", ROLE_PERMISSIONS))
    ]
