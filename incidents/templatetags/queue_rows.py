"""The dashboard's two queues' rows as HTML, built in Python.

A queue row is the dashboard's most repeated markup (up to 50 rows per list, on every dashboard and every
5-second poll of the queue fragment): some twenty variable lookups, a URL, a CSRF token and two
translations per row in the template. Here each row is one `format_html` (every value escaped), the words
of a list are translated once, and the token once: 10-13 % less CPU per dashboard and per poll
(bench/RESULTS.md). The markup is the template's (incidents/dashboard_lists.html keeps the sections
around the rows).
"""

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _

from incidents.selectors.dashboard import QueueRow

from .safetrack import severity_class

register = template.Library()


def _head(row: QueueRow, overdue_badge: str, title_class: str) -> SafeString:
    """The badges and the title link, then the countdown line."""
    overdue = row.countdown.overdue
    badge = format_html('<span class="badge text-bg-dark">{}</span>', overdue_badge) if overdue else ""
    deadline = (
        format_html(
            ' <small class="text-body-secondary">(<time datetime="{}">{}</time>)</small>',
            template_localtime(row.countdown.deadline).isoformat(),  # the `date:"c"` filter's ISO 8601
            row.deadline,
        )
        if row.deadline
        else ""
    )
    return format_html(
        '<div class="d-flex flex-wrap gap-2 align-items-baseline">'
        '<span class="badge {}">{}</span>{}<a class="{}" href="{}">#{} {}</a></div>'
        '<p class="countdown mb-1{}"><strong>{}</strong>{}</p>',
        severity_class(row.report.severity),
        row.severity,
        badge,
        title_class,
        row.url,
        row.report.pk,
        row.report.title,
        " countdown-overdue" if overdue else "",
        capfirst(row.countdown.text),
        deadline,
    )


@register.simple_tag(takes_context=True)
def needs_acknowledgement_rows(context: template.Context, rows: list[QueueRow]) -> SafeString:
    """The "Needs acknowledgement" list's `<li>`s, each with its acknowledge form (or why it has none)."""
    words = {
        "overdue": _("OVERDUE"),
        "reported_by": _("reported by"),
        "filed": _("filed"),
        "acknowledge": _("Acknowledge"),
        "open": _("Open report"),
        "waiting": _("Waiting for a handler it has reached"),
    }
    token = mark_safe(CsrfTokenNode().render(context))  # noqa: S308 - Django's own tag, escaped there
    next_url = context.get("next_url", "")
    return format_html_join("", "{}", ((_needs_acknowledgement_row(row, words, token, next_url),) for row in rows))


def _needs_acknowledgement_row(row: QueueRow, words: dict[str, str], token: SafeString, next_url: str) -> SafeString:
    report = row.report
    details = format_html(
        "{} · {} · {} {}{}{} · {} {}",
        row.category,
        row.level_label,
        words["reported_by"],
        row.reporter,
        format_html(" · {}", row.department) if row.department else "",
        format_html(" · {}", report.location) if report.location else "",
        words["filed"],
        row.filed,
    )
    if row.can_acknowledge:
        action = format_html(
            '<details class="ack-confirm"><summary class="btn btn-primary">{}'
            '<span class="visually-hidden"> #{}</span></summary>'
            '<form class="ack-confirm-body border rounded p-2 mt-2" method="post" action="{}">{}'
            '<input type="hidden" name="next" value="{}"><p class="mb-2">{}</p>'
            '<button class="btn btn-success" type="submit">{}</button></form></details>',
            words["acknowledge"],
            report.pk,
            row.acknowledge_url,
            token,
            next_url,
            _("Acknowledge report #%(number)s? Escalation stops and the reporter is told that you are on it.")
            % {"number": report.pk},
            _("Yes, acknowledge #%(number)s") % {"number": report.pk},
        )
    else:
        action = format_html('<span class="small text-body-secondary align-self-center">{}</span>', words["waiting"])
    return format_html(
        '<li class="list-group-item queue-row{}" data-report="{}" data-severity="{}">{}'
        '<p class="small mb-2 text-body-secondary">{}</p>'
        '<div class="d-flex flex-wrap gap-2 align-items-start">{}'
        '<a class="btn btn-outline-secondary" href="{}">{}<span class="visually-hidden"> #{}</span></a>'
        "</div></li>",
        " queue-row-overdue" if row.countdown.overdue else "",
        report.pk,
        report.severity,
        _head(row, words["overdue"], "fw-semibold queue-title"),
        details,
        action,
        row.url,
        words["open"],
        report.pk,
    )


@register.simple_tag
def awaiting_action_rows(rows: list[QueueRow]) -> SafeString:
    """The "Acknowledged, awaiting action" list's `<li>`s."""
    overdue, reported_by, acknowledged_by = _("OVERDUE"), _("reported by"), _("acknowledged by")
    return format_html_join(
        "",
        '<li class="list-group-item queue-row{}" data-report="{}">{}<p class="small mb-0 text-body-secondary">'
        "{}{} · {} · {} {}</p></li>",
        (
            (
                " queue-row-overdue" if row.countdown.overdue else "",
                row.report.pk,
                _head(row, overdue, "fw-semibold"),
                format_html("{} {} ({}) · ", acknowledged_by, row.acknowledged_by, row.acknowledged_at)
                if row.acknowledged_by
                else "",
                row.category,
                row.level_label,
                reported_by,
                row.reporter,
            )
            for row in rows
        ),
    )
