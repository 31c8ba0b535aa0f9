"""Signing in to the API: issue a token for a username and password, revoke it.

Every password check goes through ``django.contrib.auth.authenticate`` with the request, so
django-axes counts the failure (or refuses a locked-out username) as at the admin's login form.
"""

from __future__ import annotations

from axes.helpers import get_credentials
from django.contrib.auth import authenticate, user_logged_in
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from apps.accounts.messages import locked_out_message
from apps.accounts.selectors import lockout_retry_after, token_is_expired
from cxoffice.errors import ApplicationError, LockedOutError


def token_obtain(*, request, username: str, password: str) -> Token:
    """The user's API token (a new one if theirs expired) for the right username and password.

    Raises :class:`LockedOutError` (429) while the username is locked out, even for the right
    password, and :class:`ApplicationError` (400) for wrong credentials or an inactive user.
    """
    user = authenticate(request=request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        retry_after = lockout_retry_after(
            username=username, request=request, credentials=get_credentials(username)
        )
        raise LockedOutError(locked_out_message(retry_after=retry_after), retry_after=retry_after)
    if user is None:
        raise ApplicationError(
            _("Unable to log in with provided credentials."), code="authorization"
        )
    with transaction.atomic():
        token, _created = Token.objects.select_for_update().get_or_create(user=user)
        if token_is_expired(token=token):
            token.delete()
            token = Token.objects.create(user=user)
    # A token is a login: axes resets the username's failures and writes its access log;
    # Django records last_login.
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return token


def token_revoke(*, user) -> int:
    """Delete the user's API token; returns how many were deleted (0 or 1)."""
    deleted, _rows = Token.objects.filter(user=user).delete()
    return deleted
