"""Every cxoffice management command prints its help (argparse needs the lazily translated
help texts as text), in English and in Chinese."""

import pytest
from django.core.management import get_commands, load_command_class
from django.utils import translation

OURS = sorted(
    (name, app) for name, app in get_commands().items() if app.startswith(("apps.", "cxoffice"))
)


@pytest.mark.parametrize(("name", "app"), OURS, ids=[name for name, _app in OURS])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_help_is_printed(name, app, language):
    with translation.override(language):
        text = load_command_class(app, name).create_parser("manage.py", name).format_help()
    assert text.startswith("usage: manage.py " + name)


def test_the_commands_are_found():
    assert {"load_records", "compute_kpis", "load_demo", "bench_records"} <= {n for n, _a in OURS}
