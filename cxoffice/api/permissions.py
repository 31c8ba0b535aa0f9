from rest_framework.permissions import DjangoModelPermissions


class ModelPermissions(DjangoModelPermissions):
    """Django's model permissions, with reading requiring the ``view`` permission too.

    A role that lacks ``view_<model>`` gets 403 on the list and on every object.
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }


class CanViewModel(ModelPermissions):
    """For actions whose service checks a finer permission itself (e.g. approving a bonus run
    needs ``approve_run``): the caller must at least see the objects."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        queryset = self._queryset(view)
        meta = queryset.model._meta
        return request.user.has_perm(f"{meta.app_label}.view_{meta.model_name}")


class SignedInReadsModelPermissionsWrite(ModelPermissions):
    """Everyone signed in reads; writing needs the model's add/change/delete permission (the
    services then check the object: e.g. a data steward writes only their departments)."""

    def has_permission(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return bool(request.user and request.user.is_authenticated)
        return super().has_permission(request, view)
