"""Django REST framework's messages that API clients meet, listed here so that cxoffice's own
catalogs carry them: DRF ships a partial Traditional Chinese catalog (401s, 415s, number and
date format errors stayed English). Our catalogs come first (LOCALE_PATHS), so these win in
both Chinese variants. Never called: it is read by makemessages."""

from django.utils.translation import gettext_noop

DRF_MESSAGES = [
    gettext_noop("Authentication credentials were not provided."),
    gettext_noop("Incorrect authentication credentials."),
    gettext_noop('Unsupported media type "{media_type}" in request.'),
    gettext_noop("Invalid token header. No credentials provided."),
    gettext_noop("Invalid token header. Token string should not contain spaces."),
    gettext_noop("Date has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Datetime has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Ensure that there are no more than {max_digits} digits in total."),
    gettext_noop("Ensure that there are no more than {max_decimal_places} decimal places."),
    gettext_noop(
        "Ensure that there are no more than {max_whole_digits} digits before the decimal point."
    ),
    gettext_noop("Must be a valid boolean."),
    gettext_noop("Not a valid string."),
    gettext_noop("Incorrect type. Expected pk value, received {data_type}."),
    gettext_noop("Object with {slug_name}={value} does not exist."),
    gettext_noop("Invalid input."),
    gettext_noop("Malformed request."),
    gettext_noop("Unable to log in with provided credentials."),
    gettext_noop("A server error occurred."),
    gettext_noop('Expected a dictionary of items but got type "{input_type}".'),
    gettext_noop("Request was throttled."),
    gettext_noop("Ensure this field has no more than {max_length} elements."),
    gettext_noop("Datetime value out of range."),
    gettext_noop("This dictionary may not be empty."),
]
