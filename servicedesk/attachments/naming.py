"""Attachment names and types as stored and as served: sanitised, never trusted.

A filename keeps what a person would recognise and loses what a file system,
a header or a spreadsheet could misread; a declared type is kept only when it
is well formed, and a type a browser would render is served as a download.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from urllib.parse import quote

MAX_FILENAME = 200

# Unicode categories no file name needs: controls, format characters (the bidi
# overrides U+202A-U+202E and isolates U+2066-U+2069, zero-width characters),
# surrogates, private use, unassigned, line and paragraph separators.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_RESERVED_CHARACTERS = re.compile(r'[<>:"|?*;\\/]')
_SAFE_EXTENSION = re.compile(r"^\.[A-Za-z0-9]{1,10}$")
_WINDOWS_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"{p}{n}" for p in ("COM", "LPT") for n in range(1, 10)}
)
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")


def sanitise_filename(name: str | None, max_length: int = MAX_FILENAME) -> str:
    """A name safe to show and to offer for download: the last path component only,
    no control, format or bidi characters, no characters file systems refuse, no
    leading dots, a short extension kept when the name is shortened."""
    text = unicodedata.normalize("NFC", name or "")
    text = re.split(r"[/\\]", text)[-1]
    text = re.sub(r"\s+", " ", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    text = _RESERVED_CHARACTERS.sub("_", text).strip(" .")
    stem, dot, extension = text.rpartition(".")
    if dot and stem and _SAFE_EXTENSION.match("." + extension):
        extension = "." + extension
    else:
        stem, extension = text, ""
    stem = stem.rstrip(" .")
    if stem.upper() in _WINDOWS_DEVICES:
        stem = "_" + stem
    if not stem:
        stem = "attachment"
    # At most max_length characters and 255 bytes of UTF-8 (what file systems take).
    room = max_length - len(extension)
    stem = stem[:room]
    while len((stem + extension).encode()) > 255:
        stem = stem[:-1]
    return stem.rstrip(" .") + extension or "attachment"


def sanitise_content_type(declared: str | None, filename: str) -> str:
    """The declared media type without parameters, if well-formed; else a guess from the
    name; else ``application/octet-stream``."""
    value = (declared or "").split(";", 1)[0].strip().lower()
    if _MEDIA_TYPE.match(value) and value != "application/x-unknown":
        return value
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    return guessed or "application/octet-stream"


# Types a browser may be given as themselves (always with Content-Disposition:
# attachment and nosniff): none of them runs script. Anything else, HTML, SVG,
# XML and JavaScript above all, is served as application/octet-stream.
_SERVED_AS_IS = re.compile(
    r"^(image/(png|jpeg|gif|webp|bmp|tiff|heic|heif|avif)"
    r"|application/(pdf|zip|gzip|x-7z-compressed|msword|rtf|vnd\.ms-excel|vnd\.ms-powerpoint"
    r"|vnd\.ms-outlook|vnd\.openxmlformats-officedocument\.[a-z.]+"
    r"|vnd\.oasis\.opendocument\.[a-z.-]+)"
    r"|text/(plain|csv)|audio/[a-z0-9.+-]+|video/[a-z0-9.+-]+|message/rfc822)$"
)


# Letters NFKD does not take apart into ASCII, for the fallback name.
_ASCII_LETTERS = str.maketrans(
    {"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L"}
)


def content_disposition(filename: str) -> str:
    """``attachment`` with the name twice (RFC 6266): an ASCII fallback for old clients
    and the exact name as RFC 8187/5987 ``filename*``."""
    fallback = unicodedata.normalize("NFKD", filename.translate(_ASCII_LETTERS))
    fallback = fallback.encode("ascii", "ignore").decode()
    fallback = re.sub(r"[^A-Za-z0-9!#$&+.^_`|~ -]", "_", fallback).strip()
    stem, dot, extension = fallback.rpartition(".")
    if not (stem if dot else fallback).strip(" ._"):
        fallback = "attachment" + (f".{extension}" if dot else "")
    encoded = quote(filename, safe="!#$&+-.^_`|~")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def served_content_type(content_type: str) -> str:
    """The Content-Type a download is served with: risky types become octet-stream."""
    return content_type if _SERVED_AS_IS.match(content_type) else "application/octet-stream"
