from django.urls import path
from django.views.i18n import JavaScriptCatalog

from .views import (
    account,
    actions,
    anonymous,
    armory,
    armory_custody,
    armory_days,
    dashboard,
    firearm_flags,
    handling,
    home,
    identity,
    inbox,
    investigations,
    productions,
    pwa,
    report_live,
    reports,
    sms,
    stop_work,
)

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.healthz, name="healthz"),
    # The installable app: manifest, service worker (at the root, so it controls every page), offline page
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("favicon.ico", pwa.favicon, name="favicon"),
    path("offline/", pwa.offline, name="offline"),
    path("offline/session/", pwa.offline_session, name="offline_session"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # How a person is reached: push on their phones, channels per severity
    path("account/", account.account, name="account"),
    path("account/push/", account.push_subscription_add, name="push_subscription_add"),
    path(
        "account/push/<int:subscription_id>/remove/",
        account.push_subscription_remove,
        name="push_subscription_remove",
    ),
    path("account/phone/", account.phone_add, name="phone_add"),
    path("account/phone/verify/", account.phone_confirm, name="phone_confirm"),
    path("account/phone/remove/", account.phone_delete, name="phone_remove"),
    # Text messages sent back to SafeTrack's number (the SMS provider's webhook, signed by it)
    path("sms/inbound/", sms.sms_inbound, name="sms_inbound"),
    # Crew: file and follow reports
    path("reports/", reports.report_list, name="report_list"),
    path("reports/new/", reports.report_new, name="report_new"),
    path("reports/<int:report_id>/", reports.report_detail, name="report_detail"),
    path("reports/<int:report_id>/filed/", reports.report_filed, name="report_filed"),
    path("reports/<int:report_id>/live/", report_live.report_live, name="report_live"),
    path(
        "reports/<int:report_id>/attachments/<int:attachment_id>/",
        reports.attachment_download,
        name="attachment_download",
    ),
    # Handlers: acknowledge, comment, resolve; reporters: reopen
    path("reports/<int:report_id>/acknowledge/", handling.acknowledge, name="report_acknowledge"),
    path("reports/<int:report_id>/acknowledge/<str:token>/", handling.acknowledge_link, name="report_acknowledge_link"),
    path("reports/<int:report_id>/comment/", handling.comment, name="report_comment"),
    path("reports/<int:report_id>/resolve/", handling.resolve, name="report_resolve"),
    path("reports/<int:report_id>/reopen/", handling.reopen, name="report_reopen"),
    path("reports/<int:report_id>/reveal/", identity.reveal, name="report_reveal"),
    # Corrective actions: the owner marks one done with evidence, someone else verifies it or sends it back
    path("actions/<int:action_id>/", actions.action_detail, name="action_detail"),
    path("actions/<int:action_id>/done/", actions.action_done, name="action_done"),
    path("actions/<int:action_id>/verify/", actions.action_verify_view, name="action_verify"),
    path("actions/<int:action_id>/send-back/", actions.action_send_back_view, name="action_send_back"),
    path(
        "actions/<int:action_id>/evidence/<int:attachment_id>/",
        actions.action_evidence,
        name="action_evidence",
    ),
    # Buried warnings: a handler confirms or clears the scanner's "possible firearm concern"
    path("reports/<int:report_id>/firearm-flag/confirm/", firearm_flags.confirm, name="firearm_flag_confirm"),
    path("reports/<int:report_id>/firearm-flag/clear/", firearm_flags.clear, name="firearm_flag_clear"),
    # Investigations of critical and firearm reports (issue 20)
    path("reports/<int:report_id>/investigation/", investigations.investigation, name="investigation"),
    path(
        "reports/<int:report_id>/investigation/statements/",
        investigations.statement_new,
        name="investigation_statement_new",
    ),
    path(
        "reports/<int:report_id>/investigation/statements/<int:statement_id>/",
        investigations.statement_download,
        name="investigation_statement",
    ),
    # Stop-work
    path("stop-work/", stop_work.stop_work_new, name="stop_work_new"),
    path("reports/<int:report_id>/lift/", stop_work.stop_work_lift, name="stop_work_lift"),
    # Anonymous reporting without an account
    path("anonymous/<str:join_code>/", anonymous.anonymous_new, name="anonymous_new"),
    path("receipt/", anonymous.receipt, name="receipt"),
    path("productions/<int:production_id>/", productions.production_detail, name="production_detail"),
    path("productions/<int:production_id>/poster/", anonymous.poster, name="production_poster"),
    # Handlers' dashboard and exports
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/queue/", dashboard.queue_fragment, name="dashboard_queue"),
    path("dashboard/export.csv", dashboard.export_csv, name="dashboard_export_csv"),
    path("reports/<int:report_id>/record/", dashboard.investigation_record, name="report_record"),
    path("reports/<int:report_id>/record.pdf", dashboard.investigation_pdf, name="report_record_pdf"),
    # The armory (DESIGN.md flow 6): inventory
    path("productions/<int:production_id>/armory/", armory.armory_index, name="armory"),
    path("productions/<int:production_id>/armory/weapons/new/", armory.weapon_new, name="armory_weapon_new"),
    path(
        "productions/<int:production_id>/armory/weapons/<int:weapon_id>/",
        armory.weapon_detail,
        name="armory_weapon",
    ),
    path(
        "productions/<int:production_id>/armory/weapons/<int:weapon_id>/evidence.csv",
        armory.weapon_evidence_csv,
        name="armory_weapon_evidence",
    ),
    path(
        "productions/<int:production_id>/armory/weapons/<int:weapon_id>/edit/",
        armory.weapon_edit,
        name="armory_weapon_edit",
    ),
    path(
        "productions/<int:production_id>/armory/weapons/<int:weapon_id>/retire/",
        armory.weapon_retire,
        name="armory_weapon_retire",
    ),
    path(
        "productions/<int:production_id>/armory/ammunition/new/",
        armory.ammunition_new,
        name="armory_ammunition_new",
    ),
    path(
        "productions/<int:production_id>/armory/ammunition/<int:lot_id>/count/",
        armory.ammunition_count,
        name="armory_ammunition_count",
    ),
    # Shooting days, the daily safety meeting and the armorer's time (DESIGN.md flow 6)
    path("productions/<int:production_id>/days/", armory_days.days_index, name="days"),
    path("productions/<int:production_id>/days/new/", armory_days.day_new, name="day_new"),
    path("productions/<int:production_id>/days/<int:day_id>/", armory_days.day_detail, name="day"),
    path("productions/<int:production_id>/days/<int:day_id>/edit/", armory_days.day_edit, name="day_edit"),
    path(
        "productions/<int:production_id>/days/<int:day_id>/evidence.csv",
        armory_days.day_evidence_csv,
        name="day_evidence",
    ),
    path("productions/<int:production_id>/days/<int:day_id>/meeting/", armory_days.meeting_new, name="day_meeting"),
    path(
        "productions/<int:production_id>/days/<int:day_id>/attend/",
        armory_days.attendance_confirm,
        name="day_attend",
    ),
    path("productions/<int:production_id>/days/requests/", armory_days.time_request_list, name="time_requests"),
    path(
        "productions/<int:production_id>/days/requests/new/",
        armory_days.time_request_new,
        name="time_request_new",
    ),
    path(
        "productions/<int:production_id>/days/requests/<int:request_id>/",
        armory_days.time_request_detail,
        name="time_request",
    ),
    path(
        "productions/<int:production_id>/days/requests/<int:request_id>/answer/",
        armory_days.time_request_answer,
        name="time_request_answer",
    ),
    # The armory: the chain of custody
    path(
        "productions/<int:production_id>/armory/weapons/<int:weapon_id>/check-out/",
        armory_custody.check_out,
        name="armory_check_out",
    ),
    path(
        "productions/<int:production_id>/armory/custody/<int:record_id>/",
        armory_custody.custody_detail,
        name="armory_custody",
    ),
    path(
        "productions/<int:production_id>/armory/custody/<int:record_id>/confirm/",
        armory_custody.custody_confirm,
        name="armory_custody_confirm",
    ),
    path(
        "productions/<int:production_id>/armory/custody/<int:record_id>/present/",
        armory_custody.custody_present,
        name="armory_custody_present",
    ),
    path(
        "productions/<int:production_id>/armory/custody/<int:record_id>/check-in/",
        armory_custody.check_in,
        name="armory_check_in",
    ),
    # In-app notifications
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/read/", inbox.mark_read, name="inbox_mark_read"),
]
