"""The intake run: fetch, parse, one short transaction per mail, then move it on IMAP.

No transaction is open while IMAP is talked to. For each mail, in order:

1. fetch it (a mail over ``MAIL_MAX_BYTES``: its headers only, by RFC822.SIZE);
2. parse it (pure; a mail that cannot be parsed is quarantined);
3. one transaction: decide, make the effect, record its Message-ID (unique),
   commit; an exception rolls the effect back and a second transaction
   quarantines the mail with the reason;
4. move it to ``Processed`` or ``Quarantine`` (created if missing).

A crash between 3 and 4 leaves the mail in the folder: the next run finds its
Message-ID recorded, changes nothing and moves it. A mail that fails for a
temporary reason (the scanner is down) is left where it is for the next run.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from kommune_ikt.core.db import Database
from kommune_ikt.core.types import utcnow
from servicedesk.mail import decisions, intake
from servicedesk.mail.imap import PROCESSED, QUARANTINE, Mailbox
from servicedesk.mail.models import QUARANTINED
from servicedesk.mail.parse import ParsedMail, message_id_of, parse, parse_headers
from servicedesk.triage.store import auto_router

log = logging.getLogger(__name__)
FETCH_CHUNK = 20


def default_sink(settings: Any) -> intake.AttachmentSink | None:
    """The attachments package's sink when it is installed; None keeps only the file names."""
    try:
        importlib.import_module("servicedesk.attachments.services")
    except ModuleNotFoundError as exc:
        if exc.name in {"servicedesk.attachments", "servicedesk.attachments.services"}:
            return None
        raise
    from servicedesk.mail.attachments import AttachmentsSink

    return AttachmentsSink(settings)


def run_intake(
    database: Database,
    settings: Any,
    *,
    now: Callable[[], datetime] = utcnow,
    mailbox_factory: Callable[[Any], Any] = Mailbox,
    sink: intake.AttachmentSink | str | None = "default",
    on_committed: Callable[[int], None] | None = None,
) -> dict[str, int | str]:
    """Take every waiting mail once (``settings.mail_batch`` per run)."""
    if not settings.mail_imap_url:
        return {"imap": "not configured"}
    if sink == "default":
        sink = default_sink(settings)
    counts: dict[str, int | str] = {}
    desk = decisions.desk_address(settings)
    route = auto_router(settings)  # a confident triage model routes new tickets, if switched on
    with mailbox_factory(settings) as mailbox:
        waiting = mailbox.waiting(settings.mail_batch)
        large = [uid for uid, size in waiting if size > settings.mail_max_bytes]
        sizes = dict(waiting)
        moves: dict[str, list[int]] = {}
        for uid, headers in mailbox.fetch_headers(large).items() if large else []:
            mail = parse_headers(headers, sizes[uid])
            mail.problem = (
                f"too large: {sizes[uid]} bytes, over MAIL_MAX_BYTES ({settings.mail_max_bytes}); "
                "not fetched, kept in the Quarantine folder"
            )
            folder = _take(database, mail, None, desk, sink, now, counts, route)  # type: ignore[arg-type]
            _committed(moves, uid, folder, on_committed)
        _move(mailbox, moves)
        small = [uid for uid, size in waiting if size <= settings.mail_max_bytes]
        for start in range(0, len(small), FETCH_CHUNK):
            for uid, raw in mailbox.fetch(small[start : start + FETCH_CHUNK]).items():
                try:
                    mail = parse(raw)
                except Exception as exc:  # the stdlib parser should not raise; if it does:
                    mail = ParsedMail(message_id_of(None, raw), None, "", "", "", "", size=len(raw))
                    mail.problem = f"unreadable MIME: {type(exc).__name__}: {exc}"
                folder = _take(database, mail, raw, desk, sink, now, counts, route)  # type: ignore[arg-type]
                _committed(moves, uid, folder, on_committed)
            # One MOVE per folder for the chunk, after every commit of it.
            _move(mailbox, moves)
    return counts


def _take(
    database: Database,
    mail: ParsedMail,
    raw: bytes | None,
    desk: str | None,
    sink: intake.AttachmentSink | None,
    now: Callable[[], datetime],
    counts: dict[str, int | str],
    auto_route: Any = None,
) -> str | None:
    """Handle one mail in its own transaction; the IMAP folder it goes to (None: leave it).

    The files are prepared (scanned, written) between a first look that only
    reads and the write transaction, so no transaction waits for the scanner.
    """
    try:
        prepared = None
        if sink is not None and mail.files:
            with database.session() as session:
                first = decisions.decide(session, mail, desk=desk, now=now())
            if decisions.wants_files(first):
                prepared = [_prepare(sink, f) for f in mail.files]
        with database.session() as session, session.begin():
            decision = decisions.decide(session, mail, desk=desk, now=now())
            record = intake.apply(
                session,
                mail,
                decision,
                raw,
                sink=sink,
                prepared=prepared,
                now=now(),
                auto_route=auto_route,
            )
        outcome = record.outcome if record is not None else decision.recorded_outcome
        _count(counts, decision.action)
    except intake.TemporaryFailure as exc:
        log.warning("mail %s left for the next run: %s", mail.message_id, exc)
        _count(counts, "retry")
        return None
    except sa.exc.IntegrityError:
        # Another intake recorded the same Message-ID meanwhile: it was handled once.
        _count(counts, decisions.DUPLICATE)
        return PROCESSED
    except Exception as exc:
        log.warning("mail %s quarantined: %s", mail.message_id, exc, exc_info=True)
        reason = f"processing failed: {_reason(exc)}"
        with database.session() as session, session.begin():
            intake.quarantine(session, mail, raw, reason, now=now())
        _count(counts, decisions.QUARANTINE)
        return QUARANTINE
    return QUARANTINE if outcome == QUARANTINED else PROCESSED


def _prepare(sink: intake.AttachmentSink, file: Any) -> Any:
    try:
        return sink.prepare(file)
    except intake.TemporaryFailure:
        raise
    except Exception as exc:
        if getattr(exc, "status", None) == 503:  # the scanner is configured but down
            raise intake.TemporaryFailure(str(exc)) from exc
        raise


def _reason(exc: Exception) -> str:
    detail = getattr(exc, "detail", None) or str(exc)
    errors = getattr(exc, "errors", None)
    if errors:
        detail = f"{detail} {errors}"
    return f"{type(exc).__name__}: {detail}"[:1000]


def _committed(
    moves: dict[str, list[int]], uid: int, folder: str | None, on_committed: Any
) -> None:
    if on_committed is not None:
        on_committed(uid)
    if folder is not None:
        moves.setdefault(folder, []).append(uid)


def _move(mailbox: Any, moves: dict[str, list[int]]) -> None:
    for folder, uids in moves.items():
        if uids:
            mailbox.move(uids, folder)
    moves.clear()


def _count(counts: dict[str, int | str], key: str) -> None:
    counts[key] = int(counts.get(key, 0)) + 1


def check(database: Database, settings: Any) -> list[tuple[int, ParsedMail, decisions.Decision]]:
    """What the intake would do with each waiting mail; changes nothing anywhere."""
    desk = decisions.desk_address(settings)
    out = []
    mailbox = Mailbox(settings)
    mailbox.open(readonly=True)
    try:
        waiting = mailbox.waiting(settings.mail_batch)
        for uid, size in waiting:
            if size > settings.mail_max_bytes:
                mail = parse_headers(mailbox.fetch_headers([uid]).get(uid, b""), size)
                mail.problem = f"too large: {size} bytes, over MAIL_MAX_BYTES"
            else:
                raw = mailbox.fetch([uid]).get(uid, b"")
                mail = parse(raw)
            with database.session() as session:
                out.append((uid, mail, decisions.decide(session, mail, desk=desk)))
    finally:
        mailbox.close()
    return out
