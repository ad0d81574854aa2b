"""Exports: the queue as CSV, and one report's investigation record as a page and a PDF. Identities stay
hidden in every export exactly as on the pages."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Department, Role
from incidents.categories import Category
from incidents.models import Identity, Report
from incidents.reporting.csv_safety import csv_safe
from incidents.services.attachments import CleanUpload
from incidents.services.filing import report_file
from incidents.services.handling import report_acknowledge, report_comment, report_resolve
from tests.factories import draft, member

pytestmark = pytest.mark.django_db

EXPORT = reverse("dashboard_export_csv")


def read_csv(response):
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def file(production, reporter, category=Category.OTHER, **fields):
    return report_file(production=production, reporter=reporter, draft=draft(category, **fields))


# --- CSV ----------------------------------------------------------------------------------------------


def test_the_csv_has_one_row_per_report_with_named_columns(client, production, crew, producer, department_head):
    report = file(production, crew, Category.STUNTS, title="Stair fall", location="Stage 4")
    report_acknowledge(report_id=report.pk, user=department_head)
    client.force_login(producer)

    response = client.get(EXPORT, {"production": production.pk})
    rows = read_csv(response)

    assert 'attachment; filename="safetrack-' in response["Content-Disposition"]
    header, row = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert header == [
        "Report",
        "Filed (America/Denver)",
        "Category",
        "Severity",
        "Status",
        "Escalation level",
        "Deadline (America/Denver)",
        "Deadline passed",
        "Title",
        "Department",
        "Location",
        "Reported by",
        "Identity",
        "Acknowledged by",
        "Acknowledged (America/Denver)",
        "Resolved by",
        "Resolved (America/Denver)",
        "Times reopened",
        "Corrective actions verified",
        "Corrective actions overdue",
        "Link",
    ]
    assert len(rows) == 2
    assert row["Report"] == str(report.pk)
    assert (row["Category"], row["Severity"], row["Status"]) == ("Stunts", "Medium", "Acknowledged")
    assert (row["Title"], row["Location"], row["Department"]) == ("Stair fall", "Stage 4", "Grip")
    assert row["Reported by"] == crew.full_name
    assert row["Acknowledged by"] == department_head.full_name
    assert row["Deadline passed"] == "no"
    filed_local = timezone.localtime(report.created_at, production.tzinfo).strftime("%Y-%m-%d %H:%M")
    assert row["Filed (America/Denver)"] == filed_local
    assert row["Link"].endswith(f"/reports/{report.pk}/")


def test_the_csv_hides_confidential_and_anonymous_reporters(client, production, crew, producer):
    file(production, crew, title="Confidential one", identity=Identity.CONFIDENTIAL)
    file(production, crew, title="Confidential with department", identity=Identity.CONFIDENTIAL, show_department=True)
    report_file(production=production, reporter=None, draft=draft(Category.OTHER, title="Anonymous one"))
    client.force_login(producer)

    response = client.get(EXPORT, {"production": production.pk})
    rows = {row[8]: row for row in read_csv(response)[1:]}
    raw = "".join(",".join(row) for row in rows.values())

    assert crew.full_name not in raw and crew.email not in raw
    assert rows["Confidential one"][11] == "A crew member"
    assert rows["Confidential with department"][11] == "A crew member (Grip)"
    assert rows["Anonymous one"][11] == "Anonymous crew member"


def test_the_csv_neutralises_spreadsheet_formulas(client, production, crew, producer):
    file(production, crew, title='=HYPERLINK("http://evil.example","click")', location="+1 555 0100")
    client.force_login(producer)

    row = read_csv(client.get(EXPORT, {"production": production.pk}))[1]

    assert row[8] == '\'=HYPERLINK("http://evil.example","click")'
    assert row[10] == "'+1 555 0100"
    assert [csv_safe(v) for v in ("-2", "@SUM(A1)", "\tx", "\r=1", "\n=1", "safe", None, 3)] == [
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "'\r=1",
        "'\n=1",
        "safe",
        "",
        "3",
    ]


def test_the_csv_follows_the_dashboard_filters(client, production, crew, producer):
    file(production, crew, Category.STUNTS, title="Stair fall", department=Department.STUNTS)
    file(production, crew, Category.OTHER, title="Cable across the door")
    client.force_login(producer)

    rows = read_csv(client.get(EXPORT, {"production": production.pk, "category": "stunts"}))
    assert [row[8] for row in rows[1:]] == ["Stair fall"]
    rows = read_csv(client.get(EXPORT, {"production": production.pk, "q": "door"}))
    assert [row[8] for row in rows[1:]] == ["Cable across the door"]


def test_the_csv_is_for_the_productions_handlers_only(client, production, crew, outsider):
    file(production, crew)
    client.force_login(crew)
    assert client.get(EXPORT, {"production": production.pk}).status_code == 403
    client.force_login(outsider)
    assert client.get(EXPORT, {"production": production.pk}).status_code == 404


# --- the investigation record -------------------------------------------------------------------------


@pytest.fixture
def investigated(production, crew, ladder_cast):
    """A confidential firearm report, with an attachment, a comment by the reporter, an acknowledgement
    and a resolution: every kind of line the record shows."""
    report = file(
        production,
        crew,
        Category.UNSAFE_HANDLING,
        title="Acción: pistola entregada sin revisión",
        description="El arma pasó de mano en mano sin que nadie la revisara. Ñandú.",
        identity=Identity.CONFIDENTIAL,
        weapon="Revolver (hero)",
        ammunition="blank",
        armorer_present=False,
        witnesses="Two grips",
        uploads=[CleanUpload(name="call sheet.pdf", content_type="application/pdf", content=b"%PDF-1.4 test")],
    )
    report_comment(report_id=report.pk, user=crew, body="It happened again at lunch.")
    report_acknowledge(report_id=report.pk, user=ladder_cast["armorer"])
    report_resolve(report_id=report.pk, user=ladder_cast["armorer"], resolution="Every handover is checked now.")
    return report


def test_the_record_shows_every_field_the_attachments_and_the_verified_trail(client, investigated, producer):
    client.force_login(producer)

    response = client.get(reverse("report_record", args=[investigated.pk]))
    html = response.content.decode()

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    for text in (
        f"Investigation record: report #{investigated.pk}",
        "Acción: pistola entregada sin revisión",
        "El arma pasó de mano en mano",
        "Unsafe weapon handling",
        "Revolver (hero)",
        "Blank",
        "Two grips",
        "Confidential",
        "Every handover is checked now.",
        "call sheet.pdf",
        "application/pdf",
        "Trail intact",
        "It happened again at lunch.",
        "Arden Armorer",
    ):
        assert text in html, text
    for kind in ("Filed", "Comment", "Acknowledged", "Resolved"):
        assert f"· {kind}</strong>" in html
    assert investigated.events.last().hash in html
    assert reverse("report_record_pdf", args=[investigated.pk]) in html


def test_the_record_never_names_a_confidential_reporter(client, investigated, crew, producer):
    client.force_login(producer)
    html = client.get(reverse("report_record", args=[investigated.pk])).content.decode()
    assert crew.full_name not in html and crew.email not in html
    assert "A crew member" in html


def test_the_record_says_where_a_cut_trail_breaks(client, investigated, producer):
    # Events cannot be edited (model and database refuse); cutting the head of the chain is detectable.
    Report.objects.filter(pk=investigated.pk).update(trail_seq=investigated.events.count() + 1)
    client.force_login(producer)

    html = client.get(reverse("report_record", args=[investigated.pk])).content.decode()

    assert "Trail broken" in html
    assert "events are missing at the end of the trail" in html
    assert "Trail intact" not in html


def test_the_record_is_for_handlers_and_superusers_only(client, investigated, crew, outsider, superuser, upm):
    url = reverse("report_record", args=[investigated.pk])
    pdf = reverse("report_record_pdf", args=[investigated.pk])
    client.force_login(crew)  # the reporter: may see the report, not the investigation export
    assert client.get(url).status_code == 403
    assert client.get(pdf).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.get(pdf).status_code == 404
    client.force_login(member(investigated.production, Role.CREW))
    assert client.get(url).status_code == 404
    client.force_login(superuser)
    assert client.get(url).status_code == 200
    client.force_login(upm)
    assert client.get(pdf).status_code == 200
    assert client.get(reverse("report_record", args=[999999])).status_code == 404


# --- the PDF ------------------------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    """The text of an uncompressed fpdf2 PDF: each string shown with Tj, decoded through its font's
    ToUnicode map (fpdf2 writes glyph ids, not characters, for embedded TrueType fonts)."""
    objects = {int(n): body for n, body in re.findall(rb"(\d+) 0 obj\n(.*?)\nendobj", data, re.S)}
    maps = {}
    for name, number in re.findall(rb"/(F\d+) (\d+) 0 R", data):
        to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", objects[int(number)])
        cmap = objects[int(to_unicode.group(1))]
        mapping = {}
        for src, dst in re.findall(rb"<([0-9A-Fa-f]{4})> <([0-9A-Fa-f]+)>", cmap):
            mapping[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
        maps[name] = mapping
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
    lines, font = [], None
    for match in re.finditer(rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj", data, re.S):
        if match.group(1):
            font = match.group(1)
            continue
        raw = re.sub(rb"\\([nrtbf()\\])", lambda m: escapes.get(m.group(1), m.group(1)), match.group(2))
        glyphs = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw) - 1, 2)]
        lines.append("".join(maps[font].get(g, "?") for g in glyphs))
    return "\n".join(lines)


def test_the_pdf_is_produced_and_contains_the_verified_trail(client, settings, investigated, crew, producer):
    settings.PDF_COMPRESSION = False
    client.force_login(producer)

    response = client.get(reverse("report_record_pdf", args=[investigated.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="safetrack-report-{investigated.pk}.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    assert "Trail intact" in text
    assert "Acción: pistola entregada sin revisión" in text  # accents through the vendored font
    assert "call sheet.pdf" in text
    for kind in ("Filed", "Comment", "Acknowledged", "Resolved"):
        assert f"· {kind} ·" in text
    assert "Every handover is checked now." in text
    assert "Arden Armorer" in text
    assert crew.full_name not in text


def test_the_pdf_is_compressed_by_default_and_still_a_pdf(client, investigated, producer):
    client.force_login(producer)
    data = client.get(reverse("report_record_pdf", args=[investigated.pk])).content
    assert data.startswith(b"%PDF") and b"%%EOF" in data[-32:]
    assert b"/FlateDecode" in data


def test_the_pdf_renders_any_script_a_reporter_types(client, settings, production, crew, producer):
    settings.PDF_COMPRESSION = False
    title = "Пожар у генератора · حريق · 火事 😀"  # noqa: RUF001
    report = file(production, crew, title=title, occurred_at=timezone.now() - timedelta(1))
    client.force_login(producer)
    response = client.get(reverse("report_record_pdf", args=[report.pk]))
    assert response.status_code == 200
    assert "Пожар у генератора" in pdf_text(response.content)  # noqa: RUF001


def test_the_csv_reads_every_row_in_one_query(client, production, crew, producer, django_assert_max_num_queries):
    for i in range(30):
        file(production, crew, title=f"Concern {i}", identity=Identity.CONFIDENTIAL if i % 2 else Identity.NAMED)
    client.force_login(producer)
    with django_assert_max_num_queries(4):  # session, user, memberships, the reports
        rows = read_csv(client.get(EXPORT, {"production": production.pk}))
    assert len(rows) == 31
