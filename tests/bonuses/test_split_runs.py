"""A calculation split over workers (services.run_calculation_*), driven here in one process:
the chunks write into a hidden shadow run, the final step moves the lines onto the run at once;
a newer calculation supersedes an older one, whose chunks and final step then change nothing."""

import pytest

from apps.bonuses import services
from apps.bonuses.management.commands.bench_bonus import bonus_plan, build_dataset, enroll
from apps.bonuses.models import Line, Run
from cxoffice.errors import ConflictError

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_of_30(settings):
    settings.BONUS_RUN_CHUNK = 8
    data = build_dataset(employees=30, departments=3)
    plan = bonus_plan("SPLIT", data.kpis)
    enroll(plan, data.employees, data.quarter)
    return services.run_create(plan=plan, period=data.quarter.key), data.user


def test_chunks_then_the_final_step_give_the_run_its_lines_at_once(run_of_30):
    run, user = run_of_30
    shadow, ranges = services.run_calculation_start(run=run)
    assert len(ranges) == 4  # 30 employees in chunks of 8
    assert not Run.objects.filter(pk=shadow.pk).exists()  # hidden from every list
    outcomes = []
    for employees in ranges:
        outcomes.append(
            services.run_calculation_chunk(run_id=run.pk, shadow_id=shadow.pk, employees=employees)
        )
        assert Line.objects.filter(run=run).count() == 0  # nothing on the run before the end
    # A chunk done twice (a retried task) replaces its own lines: no duplicate.
    services.run_calculation_chunk(run_id=run.pk, shadow_id=shadow.pk, employees=ranges[0])
    done = services.run_calculation_finish(
        run_id=run.pk, shadow_id=shadow.pk, user=user, outcomes=outcomes
    )
    assert (done.status, done.line_count) == ("calculated", 30)
    assert Line.objects.filter(run=run).count() == 30
    assert not Run.everything.filter(shadow_of=run).exists()
    lines = sorted(Line.objects.filter(run=run).values_list("employee_id", "amount"))
    in_process = services.run_calculate(run=run, user=user)
    assert sorted(Line.objects.filter(run=run).values_list("employee_id", "amount")) == lines
    assert in_process.fingerprint == done.fingerprint
    assert in_process.total_amount == done.total_amount


def test_a_newer_calculation_supersedes_an_older_one(run_of_30):
    run, user = run_of_30
    old, ranges = services.run_calculation_start(run=run)
    first = services.run_calculation_chunk(run_id=run.pk, shadow_id=old.pk, employees=ranges[0])
    new, _ranges = services.run_calculation_start(run=run)  # pressed again: starts clean
    assert not Run.everything.filter(pk=old.pk).exists()
    late = services.run_calculation_chunk(run_id=run.pk, shadow_id=old.pk, employees=ranges[1])
    assert late is None
    with pytest.raises(ConflictError) as refused:
        services.run_calculation_finish(
            run_id=run.pk, shadow_id=old.pk, user=user, outcomes=[first, late]
        )
    assert refused.value.code == "superseded"
    assert Run.everything.filter(pk=new.pk).exists()
    assert Run.objects.get(pk=run.pk).status == "draft"


def test_an_approved_run_is_not_recalculated_by_a_late_final_step(run_of_30, make_user):
    run, user = run_of_30
    shadow, ranges = services.run_calculation_start(run=run)
    outcomes = [
        services.run_calculation_chunk(run_id=run.pk, shadow_id=shadow.pk, employees=r)
        for r in ranges
    ]
    services.run_calculate(run=run, user=user)
    services.run_approve(run=run, user=make_user("HR approver"))
    with pytest.raises(ConflictError) as refused:
        services.run_calculation_finish(
            run_id=run.pk, shadow_id=shadow.pk, user=user, outcomes=outcomes
        )
    assert refused.value.code == "run_closed"
