"""Log lines that untrusted text cannot break or forge: every record's control characters escaped.

A request path, a header, a ticket title or a database error can carry CR, LF,
U+2028 and the like; written into a log as they are, they start a line that
looks like the service's own (a forged "authenticated" line after a failed
one). ``install()`` puts one mechanism under every logger and handler of the
process (ours, werkzeug's, gunicorn's, SQLAlchemy's): the record factory. Each
record's message, once its arguments are merged in, and the message of any
exception it carries have their control characters written as escapes
(``\\n``, ``\\x1b``, ``\\u2028``); a traceback keeps its own line breaks.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

# C0 and C1 controls, DEL, the Unicode line and paragraph separators, and the
# bidirectional overrides that can make a line read as something else.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape(text: str) -> str:
    """``text`` with every character that could break or disguise a log line escaped."""
    return UNSAFE.sub(lambda m: _NAMED.get(m.group(), _code(m.group())), text)


def _code(char: str) -> str:
    point = ord(char)
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}"


def _exception_text(exc_info: Any) -> str:
    """The traceback as logging would show it, each exception's message escaped."""
    te = traceback.TracebackException(*exc_info)
    seen: set[int] = set()
    stack = [te]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(getattr(current, "_str", None), str):
            current._str = escape(current._str)  # type: ignore[attr-defined]
        notes = getattr(current, "__notes__", None)
        if isinstance(notes, list):
            current.__notes__ = [escape(str(n)) for n in notes]
        stack += [e for e in (current.__cause__, current.__context__) if e is not None]
    text = "".join(te.format())
    return text[:-1] if text.endswith("\n") else text


class _Escaping:
    def getMessage(self) -> str:
        return escape(super().getMessage())  # type: ignore[misc]


class SafeLogRecord(_Escaping, logging.LogRecord):
    """A LogRecord whose message has its control characters escaped."""


_CLASSES: dict[type, type] = {logging.LogRecord: SafeLogRecord}


def install() -> None:
    """Make every log record of this process escape its untrusted text (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "escapes_control_characters", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        kind = type(record)
        if not isinstance(record, _Escaping):
            if kind not in _CLASSES:
                _CLASSES[kind] = type(f"Safe{kind.__name__}", (_Escaping, kind), {})
            record.__class__ = _CLASSES[kind]
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            try:
                record.exc_text = _exception_text(record.exc_info)
            except Exception:  # the plain traceback is better than none
                record.exc_text = None
        return record

    factory.escapes_control_characters = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
