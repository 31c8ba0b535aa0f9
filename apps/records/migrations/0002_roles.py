"""Data stewards load records, keep the column mappings, stage standards, warehouses and
carriers, and read the load history; executives and project owners read the records (the
late-delivery tree included). Records are written only by the loader: nobody edits one by hand."""

from django.db import migrations

from cxoffice.migration_utils import grant_to_roles, revoke_from_roles

RECORDS = ["surveyresponse", "supportticket", "shipment"]
REFERENCE = ["recordmapping", "stagestandard", "warehouse", "carrier"]
READ = [f"view_{model}" for model in [*RECORDS, *REFERENCE, "loadjob"]]
ROLE_PERMISSIONS = {
    "Data steward": READ
    + [f"add_{model}" for model in RECORDS]
    + ["add_loadjob"]
    + [f"{verb}_{model}" for model in REFERENCE for verb in ("add", "change", "delete")],
    "Executive": READ,
    "Project owner": READ,
}
create_roles = grant_to_roles("records", ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("records", "0001_initial"), ("departments", "0002_roles")]
    operations = [
        migrations.RunPython(create_roles, revoke_from_roles("records", ROLE_PERMISSIONS))
    ]
