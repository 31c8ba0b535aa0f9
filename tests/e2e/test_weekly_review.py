"""A customer-service lead (the data steward of Customer service) triages three new feedback
items in the admin, then opens last week's business review from the dashboard and finds them
in the right counts and sections — in a real browser."""

import datetime as dt

from playwright.sync_api import expect

from apps.departments import roles
from apps.feedback.models import Feedback, Status
from apps.reviews.selectors import last_week
from tests.factories import DepartmentFactory, EmployeeFactory, UserFactory
from tests.feedback.factories import CategoryFactory, FeedbackFactory, at

FEEDBACK_URL = "/admin/feedback/feedback/"


def test_a_cs_lead_triages_three_items_and_finds_them_in_the_weekly_review(
    live_server, page, login
):
    week = last_week()
    distribution = DepartmentFactory(
        code="DIST", name="Distribution", head=EmployeeFactory(full_name="Dora Dias")
    )
    warehouse = DepartmentFactory(
        code="WH", name="Warehouse", head=EmployeeFactory(full_name="Wei Wang")
    )
    late = CategoryFactory(code="late_delivery", name="Late delivery", department=distribution)
    CategoryFactory(code="wrong_item", name="Wrong item", department=warehouse)
    UserFactory(username="cslead", roles=[roles.DATA_STEWARD])
    # The week before: one late-delivery complaint, already worked.
    FeedbackFactory(channel="web", category=late, received_at=at(week.start - dt.timedelta(3)),
                    text="Still waiting (the week before)", rating=2)  # fmt: skip
    # Last week's three new items: two came with a category, one did not.
    parcel = FeedbackFactory(channel="web", category=late, rating=1,
                             received_at=at(week.start + dt.timedelta(1)),
                             text="Parcel a week late, nobody told me")  # fmt: skip
    courier = FeedbackFactory(channel="phone", category=late, rating=3,
                              received_at=at(week.start + dt.timedelta(2)),
                              text="The courier came a day after the promised date")  # fmt: skip
    shoes = FeedbackFactory(channel="web", category=None, rating=2,
                            received_at=at(week.start + dt.timedelta(3)),
                            text="Ordered black shoes, got brown ones")  # fmt: skip

    login("cslead")
    # The uncategorised item first: the lead files it as a wrong item.
    page.goto(f"{live_server.url}{FEEDBACK_URL}{shoes.pk}/change/")
    page.select_option("#id_category", label="wrong_item – Wrong item")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()

    # Then the three new ones at once, with each category's defaults.
    page.goto(f"{live_server.url}{FEEDBACK_URL}?status__exact=new")
    for item in (parcel, courier, shoes):
        page.check(f"input.action-select[value='{item.pk}']")
    page.select_option("select[name=action]", "triage_with_defaults")
    page.click("button[name=index]")
    expect(page.locator(".messagelist .success")).to_contain_text("3 items triaged.")
    assert set(Feedback.objects.filter(status=Status.TRIAGED).values_list("pk", flat=True)) == {
        parcel.pk, courier.pk, shoes.pk
    }  # fmt: skip
    shoes.refresh_from_db()
    assert (shoes.department, shoes.owner.full_name) == (warehouse, "Wei Wang")

    # The dashboard leads to last week's review.
    page.goto(f"{live_server.url}/admin/")
    expect(page.locator("#weekly-review-panel")).to_contain_text("No review stored yet")
    page.click("#open-weekly-review")
    expect(page.locator("#content h1")).to_contain_text(f"Weekly business review {week.key}")

    def count(table: str, key_attribute: str) -> str:
        return page.locator(f"#{table} tr[{key_attribute}] .cx-count").inner_text()

    assert count("voc-channels", 'data-channel="web"') == "2"
    assert count("voc-channels", 'data-channel="phone"') == "1"
    assert count("voc-channels", 'data-channel="email"') == "0"
    assert count("voc-channels", 'data-channel="total"') == "3"
    total = page.locator("#voc-channels tr[data-channel='total']")
    expect(total.locator(".cx-previous")).to_have_text("1")  # the week before
    expect(total.locator(".cx-average")).to_have_text("0.25")  # 1 item over 4 weeks
    assert count("voc-categories", 'data-category="late_delivery"') == "2"
    assert count("voc-categories", 'data-category="wrong_item"') == "1"
    expect(page.locator("#voc-categories tr[data-category='none']")).to_have_count(0)
    # Both categories rose above their 4-week averages; the biggest riser first.
    expect(page.locator("#voc-risers li")).to_have_count(2)
    expect(page.locator("#voc-risers li").first).to_contain_text("Late delivery")
    # What customers said, worst rating first; the week before is not quoted.
    verbatims = page.locator("#voc-verbatims li")
    expect(verbatims).to_have_count(3)
    expect(verbatims.nth(0)).to_contain_text("Parcel a week late")
    expect(verbatims.nth(1)).to_contain_text("black shoes")
    expect(verbatims.nth(1)).to_contain_text("Wrong item → WH")
    expect(verbatims.nth(2)).to_contain_text("The courier came a day after")
    expect(page.locator("#voc-verbatims")).not_to_contain_text("the week before")
    # Every section is there, in the review's order, and the page can be printed.
    sections = page.locator("section.cx-section")
    expect(sections).to_have_count(5)
    assert [sections.nth(i).get_attribute("id") for i in range(5)] == [
        "voc", "scorecard", "bpi", "service-days", "actions"
    ]  # fmt: skip
    expect(page.locator("svg.cx-chart")).to_have_count(2)
    page.emulate_media(media="print")
    expect(page.locator("#header")).to_be_hidden()
    expect(page.locator("form.cx-filters")).to_be_hidden()
    expect(page.locator("#voc-channels")).to_be_visible()
