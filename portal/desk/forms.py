"""Forms of the desk pages; field names are the API's field names."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

LEVELS = [
    SelectChoice("1", _l("1 – Høy")),
    SelectChoice("2", _l("2 – Middels")),
    SelectChoice("3", _l("3 – Lav")),
]


def status_choices() -> list[SelectChoice]:
    return [
        SelectChoice("new", _l("Ny")),
        SelectChoice("assigned", _l("Tildelt")),
        SelectChoice("in_progress", _l("Under arbeid")),
        SelectChoice("pending", _l("Venter")),
        SelectChoice("resolved", _l("Løst")),
        SelectChoice("closed", _l("Lukket")),
        SelectChoice("cancelled", _l("Avbrutt")),
    ]


class Stamped(FlaskForm):
    """A form that changes a ticket: it carries the version the agent saw (the ETag's
    source) and the last history entry then, to tell what changed meanwhile."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    seen = IntegerField(widget=HiddenInput(), validators=[Optional()])


class ReplyForm(Stamped):
    body = TextAreaField(
        _l("Tekst"), validators=[DataRequired(_l("Skriv en tekst.")), Length(max=20_000)]
    )
    internal = RadioField(
        _l("Hvem ser det?"),
        choices=[
            SelectChoice("0", _l("Svar til innmelder (offentlig)")),
            SelectChoice("1", _l("Internt notat (bare IT-enheten)")),
        ],
        default="0",
    )


class EditForm(Stamped):
    status = SelectField(_l("Status"), choices=[])
    impact = SelectField(_l("Omfang"), choices=LEVELS)
    urgency = SelectField(_l("Hastegrad"), choices=LEVELS)
    queue = SelectField(_l("Kø"), choices=[])
    assignee = SelectField(_l("Saksbehandler"), choices=[])
    service_code = SelectField(_l("Tjeneste"), choices=[], validators=[Optional()])
    resolution = TextAreaField(
        _l("Løsning"),
        validators=[Optional(), Length(max=20_000)],
        description=_l("Trengs når saken settes til løst."),
    )


class TakeForm(Stamped):
    """«Ta saken»: assign the ticket to me."""


class FilterForm(FlaskForm):
    """The desk's filters (GET, no CSRF): the names GET /tickets takes, plus the service."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), id="filter-status", choices=[], validators=[Optional()])
    queue = SelectField(_l("Kø"), id="filter-queue", choices=[], validators=[Optional()])
    municipality = SelectField(
        _l("Kommune"), id="filter-municipality", choices=[], validators=[Optional()]
    )
    priority = SelectField(
        _l("Prioritet"),
        id="filter-priority",
        choices=[SelectChoice("", _l("Alle"))]
        + [SelectChoice(str(p), str(p)) for p in range(1, 5)],
        validators=[Optional()],
    )
    service_code = SelectField(
        _l("Tjeneste"), id="filter-service_code", choices=[], validators=[Optional()]
    )
    assignee = SelectField(
        _l("Saksbehandler"), id="filter-assignee", choices=[], validators=[Optional()]
    )
    q = StringField(_l("Søk i tekst"), id="filter-q", validators=[Optional(), Length(max=200)])


class SaveViewForm(FlaskForm):
    name = StringField(
        _l("Navn på visningen"),
        validators=[DataRequired(_l("Gi visningen et navn.")), Length(max=100)],
    )
    shared = BooleanField(_l("Del med hele IT-enheten"))
    query = HiddenField()


class BulkForm(FlaskForm):
    action = SelectField(
        _l("Handling"),
        id="bulk-action",
        choices=[
            SelectChoice("", _l("Velg")),
            SelectChoice("assign", _l("Tildel")),
            SelectChoice("queue", _l("Flytt til kø")),
            SelectChoice("status", _l("Endre status")),
            SelectChoice("note", _l("Legg til internt notat")),
        ],
    )
    assignee = SelectField(
        _l("Tildel til"),
        id="bulk-assignee",
        choices=[],
        validate_choice=False,
        validators=[Optional()],
    )
    queue = SelectField(
        _l("Ny kø"), id="bulk-queue", choices=[], validate_choice=False, validators=[Optional()]
    )
    status = SelectField(
        _l("Ny status"),
        id="bulk-status",
        choices=[],
        validate_choice=False,
        validators=[Optional()],
    )
    body = TextAreaField(
        _l("Internt notat"), id="bulk-body", validators=[Optional(), Length(max=20_000)]
    )


class AvailabilityForm(FlaskForm):
    available = HiddenField()
