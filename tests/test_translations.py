"""Every string a person reads ships in Simplified and Traditional Chinese."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ["zh_Hans", "zh_Hant"]


def _empty_plural(lines: list[str]) -> bool:
    """Is any ``msgstr[n]`` of a plural entry empty (its continuation lines included)?"""
    forms: list[str] = []
    for line in lines:
        if re.match(r"msgstr\[\d+\] ", line):
            forms.append(line.split(" ", 1)[1].strip('"'))
        elif forms and line.startswith('"'):
            forms[-1] += line.strip('"')
    return any(form == "" for form in forms)


def _untranslated(po_file: Path) -> list[str]:
    """msgids with an empty msgstr or a fuzzy flag (the header excepted)."""
    missing, entry = [], []
    for block in po_file.read_text(encoding="utf-8").split("\n\n"):
        entry = block.strip().splitlines()
        if not entry or all(line.startswith("#~") for line in entry):
            continue
        text = "\n".join(entry)
        msgid = text.split("msgid ", 1)[1].split("\nmsgstr", 1)[0] if "msgid " in text else ""
        msgstr = text.split("\nmsgstr ", 1)[1] if "\nmsgstr " in text else ""
        if msgid == '""':
            continue
        if "#, fuzzy" in text or msgstr.strip() == '""' or _empty_plural(entry):
            missing.append(msgid)
    return missing


@pytest.fixture(scope="module")
def fresh_catalogs(tmp_path_factory):
    """The catalogs as makemessages would make them now, merged with our translations."""
    work = tmp_path_factory.mktemp("i18n")
    for part in ("apps", "cxoffice", "templates", "locale", "manage.py"):
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, work / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, work / part)
    args = ["makemessages", "--no-obsolete", "--ignore=staticfiles", "-v", "0"]
    for language in LANGUAGES:
        args += ["-l", language]
    subprocess.run([sys.executable, "manage.py", *args], cwd=work, check=True, timeout=120)
    return work


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated(fresh_catalogs, language):
    po_file = fresh_catalogs / "locale" / language / "LC_MESSAGES" / "django.po"
    assert _untranslated(po_file) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_committed_catalog_is_up_to_date(fresh_catalogs, language):
    committed = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    fresh = fresh_catalogs / "locale" / language / "LC_MESSAGES" / "django.po"

    def msgids(path):
        return sorted(line for line in path.read_text(encoding="utf-8").splitlines()
                      if line.startswith("msgid "))  # fmt: skip

    assert msgids(fresh) == msgids(committed), "run makemessages and translate the new strings"
