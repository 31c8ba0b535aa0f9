import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.departments import roles, selectors, services
from apps.departments.models import Assignment, Department, Employee
from cxoffice.errors import ApplicationError
from tests.factories import AssignmentFactory, DepartmentFactory, EmployeeFactory, UserFactory

D = dt.date


@pytest.mark.django_db
class TestDepartments:
    def test_create_and_tree(self):
        root = services.department_create(code="CO", name="Company")
        child = services.department_create(code="DIST", name="Distribution", parent=root)
        assert child.parent == root
        assert selectors.department_descendant_ids({root.pk}) == {root.pk, child.pk}

    def test_duplicate_code_is_refused_with_field(self):
        services.department_create(code="CS", name="Customer service")
        with pytest.raises(ApplicationError) as refused:
            services.department_create(code="CS", name="Another")
        assert refused.value.field == "code"
        assert Department.objects.count() == 1

    def test_department_cannot_become_its_own_ancestor(self):
        a = DepartmentFactory(code="A")
        b = DepartmentFactory(code="B", parent=a)
        c = DepartmentFactory(code="C", parent=b)
        with pytest.raises(ApplicationError) as refused:
            services.department_update(department=a, data={"parent": c})
        assert refused.value.field == "parent"
        assert refused.value.code == "cycle"
        assert "C" in refused.value.message
        a.refresh_from_db()
        assert a.parent is None

    def test_department_cannot_be_its_own_parent(self):
        a = DepartmentFactory(code="A")
        with pytest.raises(ApplicationError) as refused:
            services.department_update(department=a, data={"parent": a})
        assert refused.value.field == "parent"

    def test_moving_a_department_elsewhere_is_fine(self):
        a, b = DepartmentFactory(code="A"), DepartmentFactory(code="B")
        c = DepartmentFactory(code="C", parent=a)
        services.department_update(department=c, data={"parent": b})
        c.refresh_from_db()
        assert c.parent == b


@pytest.mark.django_db
class TestAssignments:
    def test_overlap_is_refused_and_nothing_written(self):
        first = AssignmentFactory(start_date=D(2024, 1, 1))
        other = DepartmentFactory(code="WH")
        with pytest.raises(ApplicationError) as refused:
            services.assignment_create(
                employee=first.employee, department=other, start_date=D(2024, 6, 1)
            )
        assert refused.value.code == "overlap"
        assert refused.value.field == "start_date"
        assert "WH" in refused.value.message
        assert first.department.code in refused.value.message
        assert Assignment.objects.count() == 1

    def test_sharing_a_single_day_is_an_overlap(self):
        first = AssignmentFactory(start_date=D(2024, 1, 1), end_date=D(2024, 5, 31))
        with pytest.raises(ApplicationError):
            services.assignment_create(
                employee=first.employee, department=first.department, start_date=D(2024, 5, 31)
            )
        moved = services.assignment_create(
            employee=first.employee, department=first.department, start_date=D(2024, 6, 1)
        )
        assert moved.pk

    def test_reversed_dates_are_refused(self):
        employee = EmployeeFactory()
        with pytest.raises(ApplicationError) as refused:
            services.assignment_create(
                employee=employee,
                department=DepartmentFactory(),
                start_date=D(2024, 5, 1),
                end_date=D(2024, 4, 1),
            )
        assert refused.value.field == "end_date"
        assert refused.value.code == "reversed_dates"

    def test_assignment_must_lie_within_employment(self):
        employee = EmployeeFactory(hire_date=D(2024, 3, 1), leave_date=D(2024, 12, 31))
        department = DepartmentFactory()
        with pytest.raises(ApplicationError) as before_hire:
            services.assignment_create(
                employee=employee, department=department, start_date=D(2024, 2, 1)
            )
        assert before_hire.value.field == "start_date"
        with pytest.raises(ApplicationError) as after_leave:
            services.assignment_create(
                employee=employee,
                department=department,
                start_date=D(2024, 3, 1),
                end_date=D(2025, 1, 31),
            )
        assert after_leave.value.field == "end_date"

    def test_update_checks_against_the_other_assignments(self):
        employee = EmployeeFactory(hire_date=D(2023, 1, 1))
        early = AssignmentFactory(
            employee=employee, start_date=D(2023, 1, 1), end_date=D(2023, 12, 31)
        )
        AssignmentFactory(employee=employee, start_date=D(2024, 1, 1))
        with pytest.raises(ApplicationError):
            services.assignment_update(assignment=early, data={"end_date": D(2024, 2, 1)})
        early.refresh_from_db()
        assert early.end_date == D(2023, 12, 31)
        services.assignment_update(assignment=early, data={"end_date": D(2023, 6, 30)})
        early.refresh_from_db()
        assert early.end_date == D(2023, 6, 30)


@pytest.mark.django_db
class TestEmployees:
    def test_reversed_employment_dates_are_refused(self):
        with pytest.raises(ApplicationError) as refused:
            services.employee_create(
                employee_number="E1",
                full_name="Ana",
                hire_date=D(2024, 5, 1),
                leave_date=D(2024, 4, 30),
            )
        assert refused.value.field == "leave_date"
        assert not Employee.objects.exists()

    def test_moving_hire_date_past_an_assignment_start_names_hire_date(self):
        assignment = AssignmentFactory(start_date=D(2024, 1, 1))
        with pytest.raises(ApplicationError) as refused:
            services.employee_update(
                employee=assignment.employee, data={"hire_date": D(2024, 2, 1)}
            )
        assert refused.value.field == "hire_date"

    def test_transfer_written_as_one_checked_change(self):
        old = AssignmentFactory(start_date=D(2024, 1, 1))
        new_department = DepartmentFactory(code="NEW")
        services.employee_save(
            employee=old.employee,
            data={},
            assignment_changes=[
                services.AssignmentChange(
                    instance=old,
                    department=old.department,
                    start_date=D(2024, 1, 1),
                    end_date=D(2024, 6, 30),
                ),
                services.AssignmentChange(
                    instance=None, department=new_department, start_date=D(2024, 7, 1)
                ),
            ],
        )
        on = selectors.employee_list(on=D(2024, 8, 1)).get(pk=old.employee.pk)
        before = selectors.employee_list(on=D(2024, 3, 1)).get(pk=old.employee.pk)
        assert on.current_department_code == "NEW"
        assert before.current_department_code == old.department.code

    def test_current_department_is_empty_after_leaving(self):
        assignment = AssignmentFactory(
            employee__hire_date=D(2024, 1, 1), employee__leave_date=D(2024, 6, 30)
        )
        during = selectors.employee_list(on=D(2024, 6, 30)).get()
        after = selectors.employee_list(on=D(2024, 7, 1)).get()
        assert during.current_department_code == assignment.department.code
        assert after.current_department_code is None
        assert selectors.employee_current_department(assignment.employee, on=D(2024, 7, 1)) is None


@pytest.mark.django_db
class TestRoles:
    def test_roles_exist_as_groups(self):
        from django.contrib.auth.models import Group

        names = set(Group.objects.values_list("name", flat=True))
        assert names >= {
            "HR",
            "HR approver",
            "Data steward",
            "Project owner",
            "Executive",
            "Employee",
        }

    def test_steward_covers_the_subtree_only(self):
        dist = DepartmentFactory(code="DIST")
        north = DepartmentFactory(code="DIST-N", parent=dist)
        other = DepartmentFactory(code="CS")
        steward = UserFactory(roles=[roles.DATA_STEWARD])
        dist.stewards.add(steward)
        stewarded = set(roles.departments_stewarded_by(steward))
        assert stewarded == {dist, north}
        assert not roles.user_stewards(steward, other)
        assert not roles.departments_stewarded_by(UserFactory()).exists()
        assert set(roles.departments_stewarded_by(UserFactory(is_superuser=True))) == {
            dist,
            north,
            other,
        }

    def test_who_is_hr_and_who_sees_salaries(self):
        hr = UserFactory(roles=[roles.HR])
        approver = UserFactory(roles=[roles.HR_APPROVER])
        steward = UserFactory(roles=[roles.DATA_STEWARD])
        assert roles.user_is_hr(hr)
        assert roles.user_is_hr(approver)
        assert not roles.user_is_hr(steward)
        assert roles.user_can_see_salaries(hr)
        assert not roles.user_can_see_salaries(steward)


stints = st.lists(
    st.tuples(st.integers(0, 60), st.one_of(st.none(), st.integers(0, 20))),
    max_size=6,
).map(
    lambda pairs: [
        services.Stint(
            key=i,
            department="X",
            start=D(2024, 1, 1) + dt.timedelta(days=start),
            end=None if length is None else D(2024, 1, 1) + dt.timedelta(days=start + length),
        )
        for i, (start, length) in enumerate(pairs)
    ]
)


def _days(stint):
    last = stint.end or D(2024, 12, 31)
    return {stint.start + dt.timedelta(days=n) for n in range((last - stint.start).days + 1)}


@given(stints)
def test_find_overlap_agrees_with_day_by_day_check(ranges):
    shares_a_day = any(_days(a) & _days(b) for i, a in enumerate(ranges) for b in ranges[i + 1 :])
    assert (services.find_overlap(ranges) is not None) == shares_a_day
