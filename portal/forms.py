"""WTForms forms of the pages; field names are the API's field names."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional


class ButtonForm(FlaskForm):
    """A form of one button: only the CSRF token."""


class LocalDateField(DateField):
    """A date input whose refusal is in the reader's language."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(_("Skriv en dato, for eksempel 2026-12-03.")) from exc


LEVELS = [
    SelectChoice("", _l("Velg")),
    SelectChoice("1", _l("1 – Høy")),
    SelectChoice("2", _l("2 – Middels")),
    SelectChoice("3", _l("3 – Lav")),
]


class TicketForm(FlaskForm):
    title = StringField(
        _l("Tittel"),
        validators=[DataRequired(_l("Skriv en tittel.")), Length(max=200)],
        description=_l("Kort: hva gjelder det?"),
    )
    description = TextAreaField(
        _l("Beskrivelse"),
        validators=[DataRequired(_l("Beskriv saken.")), Length(max=20_000)],
        description=_l("Hva skjedde, hva forventet du, og hvem er berørt?"),
    )
    type = SelectField(
        _l("Type"),
        choices=[
            SelectChoice("incident", _l("Noe virker ikke (feil)")),
            SelectChoice("service_request", _l("Jeg trenger noe (bestilling eller spørsmål)")),
        ],
    )
    service_code = SelectField(_l("Tjeneste"), choices=[], validators=[Optional()])
    impact = SelectField(
        _l("Omfang"),
        choices=LEVELS,
        validators=[DataRequired(_l("Velg omfang."))],
        description=_l(
            "Høy: mange eller hele kommunen er berørt. Middels: en avdeling. Lav: bare deg."
        ),
    )
    urgency = SelectField(
        _l("Hastegrad"),
        choices=LEVELS,
        validators=[DataRequired(_l("Velg hastegrad."))],
        description=_l(
            "Høy: arbeidet stopper nå. Middels: det går, men tungt. Lav: det kan vente."
        ),
    )
    # Named as the API's upload field; the limits are said by portal.attachments.hint().
    file = MultipleFileField(_l("Vedlegg"))


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Kommentar"), validators=[DataRequired(_l("Skriv en kommentar.")), Length(max=20_000)]
    )
    file = MultipleFileField(_l("Vedlegg"))
