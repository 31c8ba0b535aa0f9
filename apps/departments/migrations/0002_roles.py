"""Create the roles of SPEC §12 as groups, with this app's model permissions.

Later apps add the permissions of their own models to these groups in their own migrations.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "HR": [
        "add_department", "change_department", "delete_department", "view_department",
        "add_employee", "change_employee", "delete_employee", "view_employee", "view_salary",
        "add_assignment", "change_assignment", "delete_assignment", "view_assignment",
    ],
    "HR approver": ["view_department", "view_employee", "view_salary", "view_assignment"],
    "Data steward": ["view_department", "view_employee", "view_assignment"],
    "Project owner": ["view_department", "view_employee"],
    "Executive": ["view_department", "view_employee", "view_assignment"],
    "Employee": ["view_department"],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure this app's exist now.
    app_config = apps.get_app_config("departments")
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = models_module or True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        permissions = Permission.objects.filter(
            content_type__app_label="departments", codename__in=codenames
        )
        group.permissions.add(*permissions)


def remove_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("departments", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
