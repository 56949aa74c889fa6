"""Domain refusals on pages: in the reader's language, at the field they name.

A service function's ``DomainError`` carries an English template and its values;
``to_problem`` fills them in after translation, as the API's problem+json does.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_babel import gettext
from flask_wtf import FlaskForm

from kommune_ikt.core.errors import DomainError, Forbidden, NotFound
from kommune_ikt.web.edge import db_session


def messages(exc: DomainError) -> tuple[str, dict[str, list[str]]]:
    """The refusal's sentence and its messages per field, in the reader's language."""
    body = exc.to_problem(gettext)
    errors: dict[str, list[str]] = body.get("errors") or {}
    # A field's own messages read better than the detail, which starts with the field's
    # (untranslated) name.
    text = " ".join(m for ms in errors.values() for m in ms) if errors else body["detail"]
    return text, errors


def place_errors(form: Any, exc: DomainError) -> int:
    """The refusal's messages, in the user's language, at the fields they name (a dotted
    name such as ``match.service_code`` at its last part). Messages for a name the form has
    no field for, and the refusal itself when it names no field or is a state conflict, go
    to the form's error summary. Returns the status to answer with (422, or 409)."""
    body = exc.to_problem(gettext)
    errors: dict[str, list[str]] = body.get("errors") or {}
    for name, field_messages in errors.items():
        field = _field_for(form, name)
        if field is not None:
            field.errors = [*field.errors, *field_messages]
        else:
            form.form_errors.extend(field_messages)
    if not errors or exc.status == 409:
        form.form_errors.append(body["detail"])
    return exc.status if exc.status in (409, 422) else 422


def show_errors(form: FlaskForm, exc: DomainError) -> int:
    """``place_errors`` after undoing what the service changed before it refused, so that
    the page shows the data as it is."""
    db_session().rollback()
    return place_errors(form, exc)


def _field_for(form: Any, name: str) -> Any:
    """The form's field for an error's name: ``hours.mon.0`` → ``hours_mon`` (the longest
    prefix that is a field), ``match.service_code`` → ``service_code`` (its last part)."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        found = form._fields.get("_".join(parts[:n]))
        if found is not None and name != "csrf_token":
            return found
    return form._fields.get(parts[-1]) if parts[-1] != "csrf_token" else None


def register(bp: Blueprint) -> None:
    """Refusals that escape a view become the error page: 404 gives nothing away.
    Once per blueprint (the blueprints are module-level; every app registers them)."""
    if bp.error_handler_spec.get(None, {}).get(None, {}).get(DomainError):
        return

    @bp.errorhandler(NotFound)
    def _not_found(exc: DomainError) -> Any:
        return render_template("error.html", title=gettext("Fant ikke siden"), status=404), 404

    @bp.errorhandler(Forbidden)
    def _forbidden(exc: DomainError) -> Any:
        return render_template(
            "error.html",
            title=gettext("Ingen tilgang"),
            detail=messages(exc)[0],
            status=403,
        ), 403

    @bp.errorhandler(DomainError)
    def _refused(exc: DomainError) -> Any:
        return render_template(
            "error.html", title=gettext("Det gikk ikke"), detail=messages(exc)[0]
        ), exc.status
