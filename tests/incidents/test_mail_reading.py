"""Reading an inbound email (incidents.inbound_mail): hostile and odd messages, read without a server."""

from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from incidents.inbound_mail import UnreadableMail, html_to_text, mail_read
from incidents.mail_address import join_code_in

SENDER = "gabi@example.com"


def _message(text: str = "Hello", **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Gabi <{SENDER}>"
    message["Subject"] = headers.pop("Subject", "A concern")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message


def _read(message: EmailMessage | bytes, envelope: str = SENDER):
    raw = message if isinstance(message, bytes) else message.as_bytes()
    return mail_read(raw, envelope_sender=envelope)


def test_a_plain_message_gives_its_sender_subject_and_text():
    mail = _read(_message("The ladder on stage 2 is cracked."))

    assert (mail.sender, mail.subject, mail.text, mail.machine) == (
        SENDER,
        "A concern",
        "The ladder on stage 2 is cracked.",
        "",
    )


@pytest.mark.parametrize(
    ("subject", "title"),
    [("CONFIDENTIAL: the 1st AD", "the 1st AD"), ("[Confidential] hours", "hours"), ("CONFIDENCIAL - horas", "horas")],
)
def test_a_subject_starting_with_confidential_marks_it_and_leaves_the_rest_as_title(subject, title):
    mail = _read(_message(Subject=subject))

    assert mail.confidential and mail.title == title


def test_confidential_later_in_the_subject_is_just_a_word():
    assert not _read(_message(Subject="Re: not so confidential")).confidential


def test_html_only_mail_becomes_text_without_scripts_styles_or_tags():
    message = EmailMessage()
    message["From"] = SENDER
    message.set_content(
        "<html><head><style>p{color:red}</style></head><body><p>Cables &amp; ropes</p>"
        "<ul><li>door</li><li>stairs</li></ul><script>alert(1)</script><p>unsafe</p></body></html>",
        subtype="html",
    )

    text = _read(message).text

    assert text == "Cables & ropes\n\n- door\n\n- stairs\n\nunsafe"


def test_the_plain_text_version_is_preferred_over_the_html_one():
    message = _message("plain words")
    message.add_alternative("<p>html words</p>", subtype="html")

    assert _read(message).text == "plain words"


def test_a_message_forwarded_as_an_attachment_is_kept_with_its_headers():
    inner = _message("> earlier: the armorer left at noon\nthe gun went off twice", Subject="hours")
    inner.replace_header("From", "Pat <pat@example.com>")
    outer = _message("See below.")
    outer.add_attachment(inner)

    text = _read(outer).text

    assert "See below." in text
    assert "From: Pat <pat@example.com>" in text and "Subject: hours" in text
    assert "the armorer left at noon" in text and "the gun went off twice" in text


def test_an_unknown_charset_is_read_as_utf8_and_control_characters_are_dropped():
    raw = b"From: a@example.com\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nhola \xc3\xb1 \x00\x07mundo \xff"

    assert _read(raw).text == "hola ñ mundo \ufffd"


def test_a_non_text_codec_named_as_charset_is_not_used():
    raw = b"From: a@example.com\r\nContent-Type: text/plain; charset=rot13\r\n\r\nuryyb"

    assert _read(raw).text == "uryyb"


def test_photos_are_files_and_a_text_file_is_read_as_text():
    message = _message("body")
    message.add_attachment(b"\xff\xd8not really", maintype="image", subtype="jpeg", filename="photo.jpg")
    message.add_attachment("thread saved as text", filename="thread.txt")

    mail = _read(message)

    assert [(f.name, f.content_type) for f in mail.files] == [("photo.jpg", "image/jpeg")]
    assert "thread saved as text" in mail.text


def test_deep_nesting_is_refused_as_unreadable():
    nested = "".join(f'--b{n}\r\nContent-Type: multipart/mixed; boundary="b{n + 1}"\r\n\r\n' for n in range(40))
    raw = f"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n{nested}".encode()

    with pytest.raises(UnreadableMail):
        _read(raw)


@pytest.mark.parametrize(
    ("headers", "envelope"),
    [
        ({"Auto_Submitted": "auto-replied"}, SENDER),
        ({"Precedence": "bulk"}, SENDER),
        ({"Precedence": "list"}, SENDER),
        ({"X_Autoreply": "yes"}, SENDER),
        ({"X_SafeTrack_Notification": "12"}, SENDER),
        ({"Message_ID": "<safetrack-mailin.abc123@reports.test>"}, SENDER),
        ({"Message_ID": "<notification-5.1700000000@safetrack.example>"}, SENDER),
        ({}, ""),
        ({}, "MAILER-DAEMON@mx.example.com"),
    ],
)
def test_machine_mail_is_recognised(headers, envelope):
    assert _read(_message(**headers), envelope=envelope).machine


def test_auto_submitted_no_is_a_person():
    assert _read(_message(Auto_Submitted="no")).machine == ""


def test_a_broken_from_header_gives_no_sender_and_no_crash():
    raw = b"From: <<<@@@>>>\r\nSubject: =?utf-8?b?////?=\r\n\r\ntext"

    mail = _read(raw)

    assert mail.sender == "" and mail.text == "text"


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_are_read_or_refused_as_unreadable_never_crash(raw):
    try:
        mail = _read(b"From: a@example.com\r\n" + raw)
    except UnreadableMail:
        return
    assert "\x00" not in mail.text


def test_html_to_text_survives_broken_markup():
    assert html_to_text("<p>a<b>b</p></div><<>>&#xZZ;<!--").startswith("a")


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("report+abc234@reports.test", "ABC234"),
        ("<REPORT+ABC234@Reports.Test>", "ABC234"),
        ("report+@reports.test", None),
        ("report+abc/../x@reports.test", None),
        ("report+abc234@other.test", None),
        ("someone@reports.test", None),
        ("", None),
    ],
)
def test_a_recipient_address_names_a_join_code_only_in_its_exact_shape(settings, address, code):
    settings.MAILIN_DOMAIN = "reports.test"

    assert join_code_in(address) == code
