"""Data stewards (a customer-service lead is the data steward of Customer service) and
executives create, triage and work feedback items and keep the taxonomy, response times and
column mappings; project owners read feedback to link it to their BPI projects. Feedback items
are records: nobody but an administrator deletes them."""

from django.db import migrations

from cxoffice.migration_utils import grant_to_roles, revoke_from_roles

MODELS = ["feedback", "category", "responsetime", "columnmapping"]
READ = [f"view_{model}" for model in MODELS]
WORK = ["add_feedback", "change_feedback"] + [
    f"{verb}_{model}"
    for model in ("category", "responsetime", "columnmapping")
    for verb in ("add", "change", "delete")
]
ROLE_PERMISSIONS = {
    "Data steward": READ + WORK,
    "Executive": READ + WORK,
    "Project owner": ["view_feedback", "view_category"],
}
create_roles = grant_to_roles("feedback", ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial"), ("departments", "0002_roles")]
    operations = [
        migrations.RunPython(create_roles, revoke_from_roles("feedback", ROLE_PERMISSIONS))
    ]
