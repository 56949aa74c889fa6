"""The current model: stored in ``triage_models``, loaded lazily, cached per process by version.

Which version is active is read with the reference data (kommune_ikt/core/reference_cache.py):
writes to ``triage_models`` change the reference token, so a process notices
a newly trained or activated model at its next use without a query of its own
(the token is read anyway, mostly together with authentication). The pickled
model itself is read and unpickled once per version and process.

Security: ``pickle.loads`` runs only on bytes read from our own ``triage_models``
rows, which only training.py writes, and only after their SHA-256 matches the
one stored beside them (a damaged or truncated row is refused, not unpickled).
Models never come from a file, a request or the network. Whoever can write
that table can already change everything the service holds.

A row that fails to load leaves the desk on routing rules alone: suggestions
are empty, auto-routing does nothing, and ``status()`` (shown in /readyz and
as ``kommune_ikt_triage_model_loaded``) says why. A failed version is not
retried by the process until another version becomes active.
"""

from __future__ import annotations

import hashlib
import logging
import pickle  # nosec B403 - only our own rows, checked by SHA-256 (see the docstring)
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core import reference_cache as cache
from servicedesk.triage.figures import FIELDS
from servicedesk.triage.models import TriageModelRow

if TYPE_CHECKING:  # numpy and scipy are imported when a model is first loaded, not before
    from servicedesk.triage.features import TriageModel

log = logging.getLogger(__name__)
_lock = threading.Lock()
# Keyed by (version, sha256): a version number reused after a row was deleted, or the
# same number in another database, is never mistaken for one loaded before.
_models: dict[tuple[int, str], TriageModel] = {}
_broken: dict[tuple[int, str], str] = {}
_last: dict[str, Any] = {"state": "unknown", "model_version": None, "detail": None}
KEEP = 3  # loaded versions kept per process (the current one and a rollback or two)


@dataclass(frozen=True)
class Active:
    """The active row's version and thresholds (what the reference snapshot holds)."""

    version: int
    sha256: str
    thresholds: dict[str, float | None] = field(default_factory=dict)

    @property
    def key(self) -> tuple[int, str]:
        return (self.version, self.sha256)


@dataclass(frozen=True)
class Current:
    """The model to use now: ``model`` None when there is none or it failed to load."""

    version: int | None
    model: TriageModel | None
    thresholds: dict[str, float | None]
    state: str  # "loaded", "none" or "failed"
    detail: str | None = None


def dumps(model: TriageModel) -> tuple[bytes, str]:
    blob = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    return blob, hashlib.sha256(blob).hexdigest()


def _active(session: Session) -> Active | None:
    row = session.execute(
        sa.select(
            col(TriageModelRow.version), col(TriageModelRow.sha256), col(TriageModelRow.figures)
        ).where(col(TriageModelRow.active).is_(True))
    ).first()
    if row is None:
        return None
    figures = row.figures or {}
    thresholds = {f: (figures.get(f) or {}).get("threshold") for f in FIELDS}
    return Active(row.version, row.sha256, thresholds)


def current(session: Session) -> Current:
    """The active model (loaded once per process), or why there is none."""
    active = cache.cached(session, "triage", _active)
    if active is None:
        return _note(Current(None, None, {}, "none", "No triage model has been trained."))
    with _lock:
        model = _models.get(active.key)
        error = _broken.get(active.key)
    if model is None and error is None:
        model, error = _load(session, active)
    if model is None:
        return _note(
            Current(active.version, None, active.thresholds, "failed",
                    f"Triage model {active.version} failed to load ({error}); "
                    "routing rules alone decide.")
        )  # fmt: skip
    return _note(Current(active.version, model, active.thresholds, "loaded"))


def _load(session: Session, active: Active) -> tuple[TriageModel | None, str | None]:
    version, key = active.version, active.key
    row = session.execute(
        sa.select(col(TriageModelRow.blob)).where(col(TriageModelRow.version) == version)
    ).first()
    try:
        if row is None:
            raise LookupError("row missing")
        blob = bytes(row.blob)
        if hashlib.sha256(blob).hexdigest() != active.sha256:
            raise ValueError("checksum mismatch")
        from servicedesk.triage.features import TriageModel

        model = pickle.loads(blob)  # noqa: S301  # nosec B301 - our own row, checksum verified
        if not isinstance(model, TriageModel):
            raise TypeError(f"not a triage model: {type(model).__name__}")
    except Exception as exc:  # any failure: rules only, never a 500
        log.error("triage model %s failed to load: %s", version, exc)
        with _lock:
            _broken[key] = f"{type(exc).__name__}: {exc}"[:200]
        return None, _broken[key]
    with _lock:
        _models[key] = model
        for old in sorted(_models)[:-KEEP]:
            if old != key:
                del _models[old]
    return model, None


def _note(current: Current) -> Current:
    with _lock:
        _last.update(state=current.state, model_version=current.version, detail=current.detail)
    return current


def status() -> dict[str, Any]:
    """What this process last found: ``{state, model_version, detail}`` (for /readyz, metrics)."""
    with _lock:
        return dict(_last)


def forget() -> None:
    """Drop every loaded and failed model (tests)."""
    with _lock:
        _models.clear()
        _broken.clear()
        _last.update(state="unknown", model_version=None, detail=None)


def suggest(session: Session, title: str, description: str) -> dict[str, Any]:
    """``{model_version, queue: [...], category: [...], service_code: [...]}``, top 3 each."""
    now = current(session)
    if now.model is None:
        return {"model_version": None, **{f: [] for f in FIELDS}}
    return {"model_version": now.version, **now.model.suggest(title, description)}


def auto_router(settings: Any) -> Any:
    """What ticket creation routes with (``filing.file_ticket``'s ``auto_route``): the
    confident model's queue when the deployment switched it on (``TRIAGE_AUTO_ROUTE``)."""
    return confident_queue if getattr(settings, "triage_auto_route", False) else None


def confident_queue(session: Session, title: str, description: str) -> dict[str, Any] | None:
    """The queue the model would route to, when its confidence reaches the threshold:
    ``{queue, model_version, confidence, threshold}``; else None."""
    now = current(session)
    threshold = now.thresholds.get("queue")
    if now.model is None or threshold is None:
        return None
    best = now.model.suggest(title, description, top=1, only=("queue",))["queue"]
    if not best or best[0]["confidence"] < threshold:
        return None
    return {
        "queue": best[0]["value"],
        "model_version": now.version,
        "confidence": best[0]["confidence"],
        "threshold": threshold,
    }
