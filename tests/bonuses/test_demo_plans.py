"""`make demo` shows the whole chain on a fresh machine (no ../shared): the front line's plans
pay each rider and agent on their own computed numbers beside the department's and company's,
so factors differ between people."""

import io

import pytest
from django.core.management import call_command

from apps.bonuses.models import Line, Run

pytestmark = pytest.mark.django_db


def test_the_demo_pays_riders_and_agents_on_their_own_numbers(clock, settings, tmp_path):
    settings.OLIST_SAMPLE_DIR = str(tmp_path / "no-olist-here")
    clock("2026-08-14 09:00")  # the last complete quarter: 2026-Q2
    call_command("load_demo", stdout=io.StringIO())
    for code in ("RIDERS-Q", "AGENTS-Q"):
        run = Run.objects.get(plan__code=code, period="2026-Q2")
        assert run.status == "calculated"
        lines = list(Line.objects.filter(run=run))
        assert len(lines) >= 2
        assert len({line.factor for line in lines}) > 1  # each person's own numbers differ
        own = [c for line in lines for c in line.components if c["scope"] == "employee"]
        assert own
        assert all(c["actual"] is not None for c in own)
        assert {c["basis"] for c in own} <= {"explicit", "rolled_up", "low_sample_department"}
