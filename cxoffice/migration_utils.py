"""Helpers for data migrations that give the roles (groups) the permissions of an app's models.

Each app's ``NNNN_roles`` migration defines ``create_roles = grant_to_roles(app_label, table)``
and runs it; the browser tests re-run those functions after each database flush.
"""

from collections.abc import Callable, Mapping, Sequence

from django.contrib.auth.management import create_permissions


def grant_to_roles(app_label: str, table: Mapping[str, Sequence[str]]) -> Callable:
    def create_roles(apps, schema_editor) -> None:
        # Permissions are normally created after all migrations; make sure this app's exist now.
        app_config = apps.get_app_config(app_label)
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = models_module
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
        for role, codenames in table.items():
            group, _created = Group.objects.get_or_create(name=role)
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            )

    return create_roles


def revoke_from_roles(app_label: str, table: Mapping[str, Sequence[str]]) -> Callable:
    def remove(apps, schema_editor) -> None:
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
        for role, codenames in table.items():
            for group in Group.objects.filter(name=role):
                group.permissions.remove(
                    *Permission.objects.filter(
                        content_type__app_label=app_label, codename__in=codenames
                    )
                )

    return remove
