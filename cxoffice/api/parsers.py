"""The API's JSON parser: DRF's, with a body nested too deeply for Python's parser refused as
a parse error (400) rather than a RecursionError (500)."""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(_("JSON parse error - the body is nested too deeply.")) from error
