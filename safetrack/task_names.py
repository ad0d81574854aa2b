"""Celery task names, spelled once. The task decorators (incidents/tasks.py), the dispatcher that
queues tasks by name without importing them (incidents/services/dispatch.py), the beat schedule and
any queue routing (settings) all read them here; settings sit below the apps, so this lives beside them."""

ESCALATE_REPORT = "incidents.tasks.escalate_report"
ESCALATE_ACTION = "incidents.tasks.escalate_action"
DELIVER_NOTIFICATION = "incidents.tasks.deliver_notification"
DELIVER_NOTIFICATIONS = "incidents.tasks.deliver_notifications"
SWEEP = "incidents.tasks.sweep"
SEND_WEEKLY_DIGESTS = "incidents.tasks.send_weekly_digests"
