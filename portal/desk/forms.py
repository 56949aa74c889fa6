"""Forms of the desk pages; field names are the API's field names."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from markupsafe import Markup
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
from wtforms.widgets import HiddenInput, Select


class ManyOptions(Select):
    """wtforms' select with the same markup written directly: the agent lists have a few
    hundred options (200 agents), and wtforms' own option cost 50 µs each, a fifth of
    the desk page's time."""

    @classmethod
    def render_option(cls, choice: SelectChoice, **kwargs: Any) -> Markup:
        if kwargs or choice.render_kw or isinstance(choice.value, bool):
            return super().render_option(choice, **kwargs)
        selected = Markup(" selected") if choice.selected else ""
        option = Markup('<option{} value="{}">{}</option>')
        return option.format(selected, choice.value, choice.label or choice.value)


LEVELS = [
    SelectChoice("1", lazy_gettext("1 – Høy")),
    SelectChoice("2", lazy_gettext("2 – Middels")),
    SelectChoice("3", lazy_gettext("3 – Lav")),
]


def status_choices() -> list[SelectChoice]:
    return [
        SelectChoice("new", lazy_gettext("Ny")),
        SelectChoice("assigned", lazy_gettext("Tildelt")),
        SelectChoice("in_progress", lazy_gettext("Under arbeid")),
        SelectChoice("pending", lazy_gettext("Venter")),
        SelectChoice("resolved", lazy_gettext("Løst")),
        SelectChoice("closed", lazy_gettext("Lukket")),
        SelectChoice("cancelled", lazy_gettext("Avbrutt")),
    ]


class Stamped(FlaskForm):
    """A form that changes a ticket: it carries the version the agent saw (the ETag's
    source) and the last history entry then, to tell what changed meanwhile."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    seen = IntegerField(widget=HiddenInput(), validators=[Optional()])


class ReplyForm(Stamped):
    body = TextAreaField(
        lazy_gettext("Tekst"),
        validators=[DataRequired(lazy_gettext("Skriv en tekst.")), Length(max=20_000)],
    )
    internal = RadioField(
        lazy_gettext("Hvem ser det?"),
        choices=[
            SelectChoice("0", lazy_gettext("Svar til innmelder (offentlig)")),
            SelectChoice("1", lazy_gettext("Internt notat (bare IT-enheten)")),
        ],
        default="0",
    )


class EditForm(Stamped):
    status = SelectField(lazy_gettext("Status"), choices=[])
    impact = SelectField(lazy_gettext("Omfang"), choices=LEVELS)
    urgency = SelectField(lazy_gettext("Hastegrad"), choices=LEVELS)
    queue = SelectField(lazy_gettext("Kø"), choices=[])
    assignee = SelectField(lazy_gettext("Saksbehandler"), choices=[], widget=ManyOptions())
    service_code = SelectField(
        lazy_gettext("Tjeneste"), choices=[], validators=[Optional()], widget=ManyOptions()
    )
    resolution = TextAreaField(
        lazy_gettext("Løsning"),
        validators=[Optional(), Length(max=20_000)],
        description=lazy_gettext("Trengs når saken settes til løst."),
    )


class TakeForm(Stamped):
    """«Ta saken»: assign the ticket to me."""


class FilterForm(FlaskForm):
    """The desk's filters (GET, no CSRF): the names GET /tickets takes, plus the service."""

    class Meta:
        csrf = False

    status = SelectField(
        lazy_gettext("Status"), id="filter-status", choices=[], validators=[Optional()]
    )
    queue = SelectField(lazy_gettext("Kø"), id="filter-queue", choices=[], validators=[Optional()])
    municipality = SelectField(
        lazy_gettext("Kommune"), id="filter-municipality", choices=[], validators=[Optional()]
    )
    priority = SelectField(
        lazy_gettext("Prioritet"),
        id="filter-priority",
        choices=[SelectChoice("", lazy_gettext("Alle"))]
        + [SelectChoice(str(p), str(p)) for p in range(1, 5)],
        validators=[Optional()],
    )
    service_code = SelectField(
        lazy_gettext("Tjeneste"),
        id="filter-service_code",
        choices=[],
        validators=[Optional()],
        widget=ManyOptions(),
    )
    assignee = SelectField(
        lazy_gettext("Saksbehandler"),
        id="filter-assignee",
        choices=[],
        validators=[Optional()],
        widget=ManyOptions(),
    )
    q = StringField(
        lazy_gettext("Søk i tekst"), id="filter-q", validators=[Optional(), Length(max=200)]
    )


class SaveViewForm(FlaskForm):
    name = StringField(
        lazy_gettext("Navn på visningen"),
        validators=[DataRequired(lazy_gettext("Gi visningen et navn.")), Length(max=100)],
    )
    shared = BooleanField(lazy_gettext("Del med hele IT-enheten"))
    query = HiddenField()


class BulkForm(FlaskForm):
    action = SelectField(
        lazy_gettext("Handling"),
        id="bulk-action",
        choices=[
            SelectChoice("", lazy_gettext("Velg")),
            SelectChoice("assign", lazy_gettext("Tildel")),
            SelectChoice("queue", lazy_gettext("Flytt til kø")),
            SelectChoice("status", lazy_gettext("Endre status")),
            SelectChoice("note", lazy_gettext("Legg til internt notat")),
        ],
    )
    assignee = SelectField(
        lazy_gettext("Tildel til"),
        id="bulk-assignee",
        choices=[],
        validate_choice=False,
        validators=[Optional()],
        widget=ManyOptions(),
    )
    queue = SelectField(
        lazy_gettext("Ny kø"),
        id="bulk-queue",
        choices=[],
        validate_choice=False,
        validators=[Optional()],
    )
    status = SelectField(
        lazy_gettext("Ny status"),
        id="bulk-status",
        choices=[],
        validate_choice=False,
        validators=[Optional()],
    )
    body = TextAreaField(
        lazy_gettext("Internt notat"), id="bulk-body", validators=[Optional(), Length(max=20_000)]
    )


class AvailabilityForm(FlaskForm):
    available = HiddenField()
