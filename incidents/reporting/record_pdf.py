"""The investigation record as a PDF, with fpdf2 (pure Python: no system libraries).

The text is set in DejaVu Sans, vendored in incidents/fonts/ with its licence, so accents and any
other script a crew member typed render as typed (fpdf2's built-in fonts only cover Latin-1). User
text is never interpreted as markup.
"""

from pathlib import Path

from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from .exports import InvestigationRecord

FONT = "DejaVu"
FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
LINE = 5.0
EMPTY = "—"
INTACT_FILL = (209, 231, 221)
BROKEN_FILL = (248, 215, 218)
BROKEN_TEXT = (132, 32, 41)
GREY = (90, 90, 90)


class _RecordPDF(FPDF):
    def __init__(self, record: InvestigationRecord):
        super().__init__(format="A4")
        self.record = record

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(*GREY)
        text = _("%(title)s · %(production)s · page %(page)s of %(pages)s") % {
            "title": self.record.title,
            "production": self.record.production.name,
            "page": self.page_no(),
            "pages": "{nb}",
        }
        self.cell(0, 6, text, align="C")
        self.set_text_color(0, 0, 0)


def _heading(pdf: FPDF, text: str, size: float = 13) -> None:
    pdf.ln(2)
    pdf.set_font(FONT, "B", size)
    pdf.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def _field(pdf: FPDF, label: str, value: str, long: bool = False) -> None:
    value = value or EMPTY
    pdf.set_font(FONT, "B", 9.5)
    label_text = f"{label}: "
    label_width = pdf.get_string_width(label_text) + 1
    pdf.set_font(FONT, "", 9.5)
    fits = "\n" not in value and label_width + pdf.get_string_width(value) < pdf.epw - 2
    pdf.set_font(FONT, "B", 9.5)
    if fits and not long:
        pdf.cell(label_width, LINE, label_text)
        pdf.set_font(FONT, "", 9.5)
        pdf.multi_cell(0, LINE, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return
    pdf.multi_cell(0, LINE, label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9.5)
    pdf.set_x(pdf.l_margin + 4)
    pdf.multi_cell(0, LINE, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def record_pdf(record: InvestigationRecord, *, compress: bool = True) -> bytes:
    pdf = _RecordPDF(record)
    pdf.set_compression(compress)
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_title(record.title)
    pdf.set_creator("SafeTrack")
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_page()

    _heading(pdf, record.title, 16)
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(0, 6, record.report.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(*GREY)
    generated = _("%(production)s · generated %(when)s by %(who)s") % {
        "production": record.production.name,
        "when": record.generated_at,
        "who": record.generated_by,
    }
    pdf.multi_cell(0, LINE, generated, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)

    pdf.set_fill_color(*(INTACT_FILL if record.check.intact else BROKEN_FILL))
    pdf.set_font(FONT, "B", 10.5)
    pdf.multi_cell(0, 7, record.check_text, fill=True, border=1, padding=2, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    for section in record.sections:
        _heading(pdf, section.title)
        for field in section.fields:
            _field(pdf, field.label, field.value, field.long)

    _heading(pdf, _("Attachments"))
    pdf.set_font(FONT, "", 9.5)
    if not record.attachments:
        pdf.multi_cell(0, LINE, _("No attachments."), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for attachment in record.attachments:
        _field(
            pdf,
            attachment.name,
            _("%(type)s, %(size)s bytes, uploaded %(when)s, SHA-256 %(sha)s")
            % {
                "type": attachment.content_type,
                "size": attachment.size,
                "when": attachment.uploaded,
                "sha": attachment.sha256,
            },
            long=True,
        )

    _heading(pdf, _("Trail"))
    for line in record.trail:
        pdf.set_font(FONT, "B", 9.5)
        if line.broken:
            pdf.set_text_color(*BROKEN_TEXT)
        header = f"#{line.seq} · {line.at} · {line.what} · {line.who}"
        pdf.multi_cell(0, LINE, header, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 9)
        for detail in line.details:
            pdf.set_x(pdf.l_margin + 4)
            pdf.multi_cell(0, 4.5, detail, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for notified in line.notified:
            pdf.set_x(pdf.l_margin + 4)
            pdf.multi_cell(0, 4.5, _("Notified: %(who)s") % {"who": notified}, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 6.5)
        pdf.set_text_color(*(BROKEN_TEXT if line.broken else GREY))
        pdf.set_x(pdf.l_margin + 4)
        pdf.multi_cell(
            0,
            3.5,
            _("hash %(hash)s · follows %(prev)s") % {"hash": line.hash, "prev": line.prev_hash},
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1.5)
    return bytes(pdf.output())
