"""Attachment names, types and download headers (pure functions, no database)."""

from __future__ import annotations

import pytest

from servicedesk.attachments.naming import (
    content_disposition,
    sanitise_content_type,
    sanitise_filename,
    served_content_type,
)
from servicedesk.attachments.scanning import ScannerUnavailable, interpret, parse_address


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\config", "config"),
        ("C:\\Users\\ola\\Desktop\\skjermbilde.png", "skjermbilde.png"),
        ("faktura\u202egnp.exe", "fakturagnp.exe"),
        ("\u200frapport\u200e.pdf", "rapport.pdf"),
        ("\u2066rapport\u2069.pdf", "rapport.pdf"),
        ("zero\u200bwidth.txt", "zerowidth.txt"),
        ("line\nbreak\t.txt", "line break.txt"),
        ("nul\x00byte.txt", "nulbyte.txt"),
        ("..", "attachment"),
        (".bashrc", "bashrc"),
        ("   ", "attachment"),
        (None, "attachment"),
        ("nul.txt", "_nul.txt"),
        ("COM1", "_COM1"),
        ('<a>:b|c?*d".txt', "_a__b_c__d_.txt"),
        ("arkiv.tar.gz", "arkiv.tar.gz"),
        ("rapport.p d f", "rapport.p d f"),
        ("Skjærmbilde på rådhuset.png", "Skjærmbilde på rådhuset.png"),
        ("e\u0301.txt", "\u00e9.txt"),  # NFC
    ],
)
def test_sanitise_filename(sent, kept):
    assert sanitise_filename(sent) == kept


def test_a_long_name_keeps_its_extension_and_fits_a_file_system():
    name = sanitise_filename("å" * 400 + ".docx")
    assert name.endswith(".docx")
    assert len(name) <= 200 and len(name.encode()) <= 255
    assert sanitise_filename("x" * 300).startswith("x") and len(sanitise_filename("x" * 300)) == 200


def test_an_overlong_extension_is_not_an_extension():
    name = sanitise_filename("a" * 300 + "." + "b" * 40)
    assert len(name) == 200


@pytest.mark.parametrize(
    ("declared", "filename", "kept"),
    [
        ("image/PNG", "a.png", "image/png"),
        ("text/plain; charset=utf-8", "a.txt", "text/plain"),
        ("", "rapport.pdf", "application/pdf"),
        (None, "ukjent", "application/octet-stream"),
        ("not a type", "a.csv", "text/csv"),
        ("text/html\r\nX-Evil: 1", "a.bin", "application/octet-stream"),
    ],
)
def test_sanitise_content_type(declared, filename, kept):
    assert sanitise_content_type(declared, filename) == kept


@pytest.mark.parametrize(
    ("stored", "served"),
    [
        ("image/png", "image/png"),
        ("application/pdf", "application/pdf"),
        ("text/plain", "text/plain"),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", None),
        ("text/html", "application/octet-stream"),
        ("image/svg+xml", "application/octet-stream"),
        ("application/xhtml+xml", "application/octet-stream"),
        ("text/javascript", "application/octet-stream"),
        ("application/x-msdownload", "application/octet-stream"),
    ],
)
def test_served_content_type(stored, served):
    assert served_content_type(stored) == (served or stored)


def test_content_disposition_is_rfc_6266_with_an_rfc_8187_name():
    assert (
        content_disposition("a b.txt")
        == "attachment; filename=\"a b.txt\"; filename*=UTF-8''a%20b.txt"
    )
    assert content_disposition("Møte 2026.pdf") == (
        "attachment; filename=\"Mote 2026.pdf\"; filename*=UTF-8''M%C3%B8te%202026.pdf"
    )
    assert content_disposition("日本.txt").startswith('attachment; filename="attachment.txt"')


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        ("stream: OK", None),
        ("stream: Eicar-Test-Signature FOUND", "Eicar-Test-Signature"),
        ("stream: Win.Test.EICAR_HDB-1 FOUND", "Win.Test.EICAR_HDB-1"),
    ],
)
def test_clamd_replies(reply, verdict):
    assert interpret(reply) == verdict


@pytest.mark.parametrize("reply", ["INSTREAM size limit exceeded. ERROR", "", "garbage"])
def test_any_other_clamd_reply_fails_closed(reply):
    with pytest.raises(ScannerUnavailable):
        interpret(reply)


def test_clamd_addresses():
    import socket

    assert parse_address("127.0.0.1:3310") == (socket.AF_INET, ("127.0.0.1", 3310))
    assert parse_address("tcp://127.0.0.1:3310") == (socket.AF_INET, ("127.0.0.1", 3310))
    assert parse_address("[::1]:3310") == (socket.AF_INET6, ("::1", 3310))
    assert parse_address("/run/clamav/clamd.ctl") == (socket.AF_UNIX, "/run/clamav/clamd.ctl")
    assert parse_address("unix:///tmp/c.sock") == (socket.AF_UNIX, "/tmp/c.sock")
    with pytest.raises(ValueError):
        parse_address("clamd")
