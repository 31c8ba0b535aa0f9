"""django-import-export's page texts, listed so that cxoffice's catalogs carry them: the
library ships no Traditional Chinese catalog, so its import and export pages stayed English in
zh-Hant. Our catalogs come first (LOCALE_PATHS). Never called: it is read by makemessages."""

from django.utils.translation import gettext_noop

IMPORT_EXPORT_MESSAGES = [
    gettext_noop("Import"),
    gettext_noop("Export"),
    gettext_noop("Select all"),
    gettext_noop("File to import"),
    gettext_noop("Format"),
    gettext_noop("Submit"),
    gettext_noop("Preview"),
    gettext_noop("Confirm import"),
    gettext_noop("This exporter will export the following fields: "),
    gettext_noop("This importer will import the following fields: "),
    gettext_noop(
        "Below is a preview of data to be imported. If you are satisfied with the results, "
        "click 'Confirm import'"
    ),
    gettext_noop("Some rows failed to validate"),
    gettext_noop(
        "Please correct these errors in your data where possible, then reupload it using the "
        "form above."
    ),
    gettext_noop("Line number"),
    gettext_noop("Non field specific"),
    gettext_noop("Export selected %(verbose_name_plural)s"),
]
