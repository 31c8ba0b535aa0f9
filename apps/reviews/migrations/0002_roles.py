"""Every staff role reads the weekly business review (HR, HR approvers, data stewards, project
owners, executives); plain employees do not (it quotes customers' feedback, which they do not
see). Executives, data stewards (a customer-service lead is one) and project owners agree
actions and keep them up to date; executives also build and send the stored review. Deleting
actions and forcing a rebuild of a review already sent are left to administrators."""

from django.db import migrations

from cxoffice.migration_utils import grant_to_roles, revoke_from_roles

READ = ["view_weeklyreview", "view_reviewaction"]
ACTIONS = ["add_reviewaction", "change_reviewaction"]
ROLE_PERMISSIONS = {
    "HR": READ,
    "HR approver": READ,
    "Data steward": READ + ACTIONS,
    "Project owner": READ + ACTIONS,
    "Executive": READ + ACTIONS + ["add_weeklyreview", "change_weeklyreview"],
}
create_roles = grant_to_roles("reviews", ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial"), ("departments", "0002_roles")]
    operations = [
        migrations.RunPython(create_roles, revoke_from_roles("reviews", ROLE_PERMISSIONS))
    ]
