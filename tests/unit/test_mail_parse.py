"""Reading received mail: charsets, encoded subjects, HTML, quotes, files, hostile structure."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from servicedesk.mail.parse import MAX_PARTS, decode_text, parse, safe_filename, strip_quoted


def raw_mail(body: bytes, content_type: str = "text/plain; charset=utf-8", **headers: str) -> bytes:
    head = {"From": "Kari <kari@kristiansund.kommune.no>", "Subject": "Test",
            "Message-ID": "<m1@client.example>", "Content-Type": content_type, **headers}  # fmt: skip
    return "".join(f"{k}: {v}\r\n" for k, v in head.items()).encode() + b"\r\n" + body


@pytest.mark.parametrize(
    ("charset", "encoding"),
    [("windows-1252", "cp1252"), ("iso-8859-1", "latin-1"), ("utf-8", "utf-8")],
)
def test_nordic_letters_in_common_charsets(charset, encoding):
    mail = parse(raw_mail("Blåbærsyltetøy og Ærlig Østfold Å".encode(encoding),
                          f"text/plain; charset={charset}"))  # fmt: skip
    assert mail.text == "Blåbærsyltetøy og Ærlig Østfold Å"


def test_wrong_or_missing_or_unknown_charset_falls_back_sanely():
    latin = "Blåbær på øya".encode("cp1252")
    assert parse(raw_mail(latin, "text/plain; charset=utf-8")).text == "Blåbær på øya"
    assert parse(raw_mail(latin, "text/plain")).text == "Blåbær på øya"
    assert parse(raw_mail(latin, "text/plain; charset=x-klingon")).text == "Blåbær på øya"
    assert parse(raw_mail("Blåbær".encode(), "text/plain; charset=us-ascii")).text == "Blåbær"
    assert decode_text(b"\xff\xfe", "utf-8") == "ÿþ"


def test_rfc2047_subject_and_sender_name():
    mail = parse(raw_mail(b"x", Subject="=?iso-8859-1?q?Skriver_p=E5_=D8konomi?=",
                          From="=?utf-8?b?S2FyaSBLasOmcg==?= <Kari@Kristiansund.Kommune.NO>"))  # fmt: skip
    assert mail.subject == "Skriver på Økonomi"
    assert (mail.sender, mail.sender_name) == ("kari@kristiansund.kommune.no", "Kari Kjær")


def test_malformed_encoded_subject_does_not_fail():
    mail = parse(raw_mail(b"x", Subject="=?utf-8?b?broken"))
    assert mail.subject and mail.problem is None


def test_html_only_mail_becomes_plain_safe_text():
    html = (b"<html><head><style>p{color:red}</style><script>alert('x')</script></head><body>"
            b"<p>Hei,</p><p>skriveren &amp; <b>skanneren</b> virker ikke.<br>Mvh Kari</p>"
            b"<img src=x onerror=alert(1)></body></html>")  # fmt: skip
    mail = parse(raw_mail(html, "text/html; charset=utf-8"))
    assert mail.text == "Hei,\n\nskriveren & skanneren virker ikke.\nMvh Kari"
    assert "<" not in mail.text and "alert" not in mail.text


@pytest.mark.parametrize(
    "quoted",
    [
        # Norwegian Outlook
        "Fra: Servicedesk <servicedesk@it.orkide.example>\nSendt: torsdag 3. desember 2026 10:00\n"
        "Til: Kari\nEmne: [INC-2026-000001] Vi har mottatt saken din\n\nHei, vi har registrert",
        # Norwegian Gmail
        "tor. 3. des. 2026 kl. 10:00 skrev Servicedesk <servicedesk@it.orkide.example>:\n> Hei",
        # Swedish
        "Den tors 3 dec. 2026 kl 10:00 skrev Servicedesk <servicedesk@it.orkide.example>:\n> Hej",
        # English
        "On Thu, 3 Dec 2026 at 10:00, Servicedesk <servicedesk@it.orkide.example> wrote:\n> Hi",
    ],
)
def test_quoted_earlier_text_is_stripped(quoted):
    assert strip_quoted(f"Det virker fortsatt ikke.\n\n{quoted}\n") == "Det virker fortsatt ikke."


def test_automatic_headers():
    assert parse(raw_mail(b"x", **{"Auto-Submitted": "auto-replied"})).automatic
    assert parse(raw_mail(b"x", **{"Auto-Submitted": "no"})).automatic is None
    assert parse(raw_mail(b"x", Precedence="bulk")).automatic
    assert parse(raw_mail(b"x", **{"List-Id": "<l.example>"})).automatic
    assert parse(raw_mail(b"x", **{"Return-Path": "<>"})).automatic
    assert parse(raw_mail(b"x", From="MAILER-DAEMON@mx.example")).automatic
    assert parse(raw_mail(b"x")).automatic is None


def test_thread_ids_and_missing_message_id():
    mail = parse(raw_mail(b"x", **{"In-Reply-To": "<a@x>", "References": "<r1@x> <r2@x>"}))
    assert mail.thread_ids == ["<a@x>", "<r2@x>", "<r1@x>"]
    headerless = parse(b"Subject: x\r\n\r\nbody")
    assert headerless.message_id.startswith("<sha256-") and headerless.sender is None
    assert parse(b"Subject: x\r\n\r\nbody").message_id == headerless.message_id


def test_attachment_names_are_made_safe():
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("..\\..\\windows\\system.ini") == "system.ini"
    assert safe_filename("invoice\u202efdp.exe") == "invoicefdp.exe"
    assert safe_filename("\u200b.hidden") == "hidden"
    assert safe_filename("", "image/png") == "attachment.png"
    assert safe_filename(None) == "attachment.bin"
    assert len(safe_filename("a" * 1000)) == 200


def test_inline_images_and_attachments_are_files():
    message = EmailMessage()
    message["From"], message["Subject"] = "kari@kristiansund.kommune.no", "Skjerm"
    message.set_content("Se bildet")
    message.add_alternative("<p>Se bildet</p><img src='cid:img1'>", subtype="html")
    message.get_payload()[1].add_related(b"\x89PNG", maintype="image", subtype="png", cid="<img1>")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf",
                           filename="../rapport.pdf")  # fmt: skip
    mail = parse(message.as_bytes())
    assert mail.text == "Se bildet"
    assert [(f.filename, f.content_type, f.inline) for f in mail.files] == [
        ("attachment.png", "image/png", True),
        ("rapport.pdf", "application/pdf", False),
    ]


def test_too_many_parts_is_a_problem_not_a_crash():
    parts = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(MAX_PARTS + 5))
    mail = parse(raw_mail(parts + b"--b--\r\n", 'multipart/mixed; boundary="b"'))
    assert mail.problem == f"more than {MAX_PARTS} MIME parts"


def test_deep_nesting_is_a_problem_not_a_crash():
    body = b"".join(
        f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n".encode()
        for i in range(1, 500)
    )
    mail = parse(raw_mail(body, "multipart/mixed; boundary=b1"))
    assert "nested deeper" in mail.problem


def test_garbage_is_read_without_raising():
    for raw in (
        b"",
        b"\x00\xff\xfe" * 100,
        b"From: <>\r\n\r\n",
        b"Content-Type: multipart/mixed\r\n\r\nx",
    ):
        mail = parse(raw)
        assert mail.message_id.startswith("<")


def test_a_trailing_quoted_block_without_a_header_is_stripped():
    assert strip_quoted("Ja, takk.\n\n> Hei\n> Er det løst?\n") == "Ja, takk."
    assert strip_quoted("> bare sitat\n") == "> bare sitat"
