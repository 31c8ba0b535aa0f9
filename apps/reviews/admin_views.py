"""The weekly business review page of the admin (live or as sent, printable, with charts) and
its panel on the dashboard."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from cxoffice.errors import ApplicationError

from . import charts, selectors

LIVE, AS_SENT = "live", "as_sent"
WEEKS_OFFERED = 12


def review_charts(data: dict) -> dict[str, str]:
    """The two charts of the review, drawn from its data (so "as sent" draws what was sent)."""
    voc = data["voice_of_customer"]
    channels = charts.channel_chart(
        voc,
        names=(
            _("This week"),
            _("Previous week"),
            _("4-week average"),
            _("Feedback by channel: this week, the previous week and the 4-week average"),
        ),
        translate=_,
    )
    categories = charts.category_chart(
        voc["volume_by_category"],
        other=_("Other categories"),
        title=_("Feedback items per week by category (12 weeks)"),
        translate=_,
    )
    return {
        "channels": mark_safe(channels),  # noqa: S308 - numbers and escaped labels only
        "categories": mark_safe(categories),  # noqa: S308 - numbers and escaped labels only
    }


def weekly_review_view(request, site):
    """``/admin/weekly-review/?week=2026-W47&mode=as_sent``: the review of a week, last week by
    default; live, or as stored and sent when a snapshot exists."""
    if not request.user.has_perm("reviews.view_weeklyreview"):
        raise PermissionDenied
    error = None
    default = selectors.last_week()
    key = request.GET.get("week") or default.key
    try:
        week = selectors.week_from_key(key)
    except ApplicationError as exc:
        error, week = exc.message, default
    stored = selectors.review_get(week)
    mode = request.GET.get("mode") or LIVE
    if mode == AS_SENT and stored is None:
        error = _("The review of %(week)s has not been stored yet; showing it live.") % {
            "week": week.key
        }
        mode = LIVE
    data = selectors.in_section_order(stored.data) if mode == AS_SENT else None
    if data is None:
        mode = LIVE
        data = selectors.build_review(week)
    context = {
        **site.each_context(request),
        "title": _("Weekly business review %(week)s") % {"week": week.key},
        "week": week,
        "week_key": key if error is None else week.key,
        "weeks": list(reversed(default.last(WEEKS_OFFERED))),
        "mode": mode,
        "stored": stored,
        "data": data,
        "charts": review_charts(data),
        "links": True,
        "error": error,
        "can_build": request.user.has_perm("reviews.add_weeklyreview"),
    }
    return render(request, "admin/reviews/weekly_review.html", context)


def weekly_review_panel(request):
    """The dashboard's way into the review: a link to last week's and the latest stored
    review's status (built, sent to whom and when)."""
    if not request.user.has_perm("reviews.view_weeklyreview"):
        return None
    return {
        "template": "admin/reviews/weekly_review_panel.html",
        "last_week": selectors.last_week(),
        "latest": selectors.latest_review(),
    }
