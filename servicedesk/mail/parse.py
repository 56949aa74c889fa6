"""Reading one received mail: headers, text, files, and whether it was sent automatically. Pure.

Nothing here trusts the mail: headers that do not decode fall back to their
raw text, a text part in a wrong or unknown charset falls back to UTF-8 and
then Windows-1252 (a superset of ISO-8859-1, which is what mislabelled Nordic
mail almost always is), HTML becomes plain text through ``nh3`` (no tag
survives), and the walk over the MIME tree stops at ``MAX_PARTS`` parts or
``MAX_DEPTH`` levels (the mail is then quarantined, not half-read).
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses

import nh3
from mailparser_reply import EmailReplyParser

MAX_PARTS = 100
MAX_DEPTH = 10
MAX_IDS = 50
MAX_TEXT = 20_000  # a ticket's description and a comment's body, at most (API limit)
# Danish's profile knows the Norwegian Outlook and Gmail headers ("Fra:", "Sendt:",
# "skrev"), Swedish's the Swedish ones; English is always added by the library.
REPLY_LANGUAGES = ("da", "sv", "en")
MESSAGE_ID = re.compile(r"<[^<>\s]{1,480}>")
# Characters that change how a name is shown (bidirectional overrides and
# isolates, zero-width marks) or are not printable at all.
_HIDDEN = {"Cc", "Cf", "Zl", "Zp"}
_AUTOMATIC_HEADERS = (
    "X-Autoreply",
    "X-Autorespond",
    "X-Auto-Reply",
    "X-Autoreply-From",
    "X-Mail-Autoreply",
    "X-Cron-Env",
)
_AUTOMATIC_SENDERS = ("mailer-daemon@", "postmaster@", "noreply@", "no-reply@", "donotreply@")


@dataclass(frozen=True)
class MailFile:
    """A file from a mail (attached or inline), handed to the attachment sink as it is."""

    filename: str
    content_type: str
    data: bytes
    inline: bool = False


@dataclass
class ParsedMail:
    """What the intake needs of one mail; ``problem`` set means it must be quarantined."""

    message_id: str
    sender: str | None
    sender_name: str
    subject: str
    text: str
    reply_text: str
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    automatic: str | None = None
    files: list[MailFile] = field(default_factory=list)
    problem: str | None = None
    size: int = 0

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this mail answers: In-Reply-To first, then References newest first."""
        return list(dict.fromkeys([*self.in_reply_to, *reversed(self.references)]))


def message_id_of(value: str | None, raw: bytes) -> str:
    """The mail's ``<Message-ID>``; a digest of the mail when it has none (or a silly one)."""
    found = MESSAGE_ID.search(value or "")
    if found:
        return found.group(0)
    return f"<sha256-{hashlib.sha256(raw).hexdigest()}@missing-message-id>"


def parse(raw: bytes) -> ParsedMail:
    """Read a mail (bytes as fetched); never raises for a malformed one."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    subject = _header_text(message, "Subject")
    message_id = message_id_of(_header_text(message, "Message-ID"), raw)
    sender, sender_name = _sender(message)
    parsed = ParsedMail(
        message_id=message_id,
        sender=sender,
        sender_name=sender_name,
        subject=" ".join(subject.split())[:300],
        text="",
        reply_text="",
        in_reply_to=_ids(message, "In-Reply-To"),
        references=_ids(message, "References"),
        size=len(raw),
    )
    parsed.automatic = automatic_reason(message, sender)
    walk = _Walk()
    try:
        walk.visit(message, 0)
    except _TooComplex as exc:
        parsed.problem = str(exc)
    text = _text_of(walk)
    parsed.text = text[:MAX_TEXT].strip()
    parsed.reply_text = strip_quoted(text)[:MAX_TEXT].strip()
    parsed.files = walk.files
    return parsed


def parse_headers(raw_headers: bytes, size: int) -> ParsedMail:
    """The headers alone (a mail too large to fetch whole)."""
    parsed = parse(raw_headers + b"\r\n")
    parsed.size = size
    parsed.text = parsed.reply_text = ""
    parsed.files = []
    return parsed


def automatic_reason(message: Message, sender: str | None) -> str | None:
    """Why a mail counts as sent by a machine (RFC 3834 and common practice), or None."""
    auto = _header_text(message, "Auto-Submitted").split(";")[0].strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    for name in ("Precedence", "X-Precedence"):
        precedence = _header_text(message, name).strip().lower()
        if precedence in {"bulk", "junk", "list", "auto_reply"}:
            return f"{name}: {precedence}"
    if message.get("List-Id") is not None or message.get("List-Unsubscribe") is not None:
        return "mailing list (List-Id)"
    if message.get_content_type() == "multipart/report":
        report = message.get_param("report-type") or "report"
        return f"delivery or read report (multipart/report; {report})"
    return_path = message.get("Return-Path")
    if return_path is not None and str(return_path).strip() in {"<>", ""}:
        return "empty return path (<>)"
    for name in _AUTOMATIC_HEADERS:
        if message.get(name) is not None:
            return f"{name} header"
    if sender and sender.startswith(_AUTOMATIC_SENDERS):
        return f"sent by {sender.split('@')[0]}"
    return None


def strip_quoted(text: str) -> str:
    """The new text of a reply: the quoted earlier mail and the client's header cut off."""
    if not text.strip():
        return ""
    try:
        reply = EmailReplyParser(languages=list(REPLY_LANGUAGES)).parse_reply(text)
    except Exception:  # a third-party regex engine on hostile text: keep the whole text
        reply = None
    reply = reply if reply and reply.strip() else text
    # A quoted block at the end ("> ...") that no client header announced.
    lines = reply.rstrip().splitlines()
    end = len(lines)
    while end and (lines[end - 1].startswith(">") or not lines[end - 1].strip()):
        end -= 1
    return "\n".join(lines[:end]) if end else reply


def html_to_text(markup: str) -> str:
    """Plain text of HTML: line breaks kept, every tag dropped, scripts and styles emptied."""
    markup = re.sub(r"(?i)</(p|h[1-6]|blockquote)\s*>", "\n\n", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</(div|tr|li)\s*>", "\n", markup)
    text = html.unescape(nh3.clean(markup, tags=set(), clean_content_tags={"script", "style"}))
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def safe_filename(name: str | None, content_type: str = "") -> str:
    """A file name that names no directory and hides nothing (``../../etc/passwd`` → ``passwd``)."""
    name = unicodedata.normalize("NFC", name or "")
    name = "".join(c for c in name if unicodedata.category(c) not in _HIDDEN)
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".").strip()
    if not name:
        subtype = content_type.partition("/")[2] or "bin"
        name = f"attachment.{re.sub(r'[^a-z0-9]', '', subtype.lower())[:10] or 'bin'}"
    return name[:200]


def decode_text(data: bytes, charset: str | None) -> str:
    """Bytes of a text part: the declared charset if it decodes cleanly, else UTF-8, else
    Windows-1252 (which never fails and is right for mislabelled Nordic mail)."""
    candidates = []
    if charset:
        label = charset.strip().strip('"').lower()
        # ISO-8859-1 labels are read as Windows-1252, as every browser does; an
        # ASCII label on 8-bit text is a lie, so the fallbacks decide.
        if label in {"iso-8859-1", "latin1", "latin-1"}:
            candidates.append("cp1252")
        elif label not in {"us-ascii", "ascii"}:
            candidates.append(label)
    candidates += ["utf-8", "cp1252"]
    for name in candidates:
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("cp1252", errors="replace")


class _TooComplex(Exception):
    pass


@dataclass
class _Walk:
    parts: int = 0
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    files: list[MailFile] = field(default_factory=list)

    def visit(self, part: Message, depth: int) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise _TooComplex(f"more than {MAX_PARTS} MIME parts")
        if depth > MAX_DEPTH:
            raise _TooComplex(f"MIME parts nested deeper than {MAX_DEPTH} levels")
        content_type = part.get_content_type()
        if part.is_multipart() and content_type != "message/rfc822":
            payload = part.get_payload()
            for child in payload if isinstance(payload, list) else []:
                if isinstance(child, Message):  # always: a multipart's payload is its parts
                    self.visit(child, depth + 1)
            return
        disposition = (part.get_content_disposition() or "").lower()
        filename = _filename(part)
        if content_type == "message/rfc822":
            inner = part.get_payload()
            data = (
                inner[0].as_bytes()
                if isinstance(inner, list) and inner and isinstance(inner[0], Message)
                else b""
            )
            self.files.append(MailFile(safe_filename(filename or "message.eml"), "message/rfc822",
                                       data))  # fmt: skip
            return
        data = _payload(part)
        if (
            content_type in {"text/plain", "text/html"}
            and disposition != "attachment"
            and not (filename and disposition == "inline")
        ):
            text = decode_text(data, part.get_content_charset())
            (self.plain if content_type == "text/plain" else self.html).append(text)
            return
        if not data:
            return
        self.files.append(
            MailFile(
                safe_filename(filename, content_type),
                content_type,
                data,
                inline=disposition != "attachment",
            )
        )


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding: keep what the raw payload is
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", "replace") if isinstance(raw, str) else b""


def _filename(part: Message) -> str | None:
    try:
        return part.get_filename()
    except Exception:
        return None


def _text_of(walk: _Walk) -> str:
    if any(t.strip() for t in walk.plain):
        text = "\n\n".join(t for t in walk.plain if t.strip())
    elif walk.html:
        text = "\n\n".join(html_to_text(t) for t in walk.html)
    else:
        text = ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")


def _header_text(message: Message, name: str) -> str:
    """A header's decoded text; its raw text if it does not decode; "" when absent."""
    try:
        value = message.get(name)
    except Exception:
        value = None
        for key, raw in message.raw_items() if isinstance(message, EmailMessage) else []:
            if key.lower() == name.lower():
                value = raw
                break
    if value is None:
        return ""
    text = str(value)
    if "=?" in text:  # an encoded word the policy left alone (malformed)
        with contextlib.suppress(Exception):
            text = str(make_header(decode_header(text)))
    return "".join(c for c in text if unicodedata.category(c) != "Cc" or c == "\t")


def _ids(message: Message, name: str) -> list[str]:
    return MESSAGE_ID.findall(_header_text(message, name))[:MAX_IDS]


def _sender(message: Message) -> tuple[str | None, str]:
    """The From address (lower case) and display name; None when there is no usable one."""
    text = _header_text(message, "From")
    pairs = getaddresses([text])
    for name, address in pairs:
        address = address.strip().lower()
        if "@" in address and " " not in address and len(address) <= 254:
            local, _, domain = address.rpartition("@")
            if local and "." in domain:
                return address, name.strip()[:200]
    return None, ""
