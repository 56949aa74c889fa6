"""The catalogue pages' forms; field names are the API's (POST /orders, PATCH
/subscriptions/{id}, …), so that a refusal names the field the page shows."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import Form, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from kommune_ikt.core.pagination import UNSTORABLE_TEXT
from portal.forms import LocalDateField


class QuantityField(IntegerField):
    """A whole number, with the page's own message when it is not one."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(_("Skriv antallet som et helt tall, for eksempel 3.")) from exc


def storable(form: Any, field: Any) -> None:
    """Text the database can hold (PostgreSQL refuses NUL): a 422 here, not a 500 there."""
    if field.data and UNSTORABLE_TEXT.search(field.data):
        raise ValidationError(_("Teksten har tegn som ikke kan lagres. Skriv den inn på nytt."))


def quantity_field(label: Any, description: Any) -> QuantityField:
    """A quantity as POST /orders and PATCH /subscriptions/{id} take it: 1 to 1 000 000."""
    return QuantityField(
        label,
        validators=[
            InputRequired(lazy_gettext("Skriv et antall.")),
            NumberRange(
                min=1, max=1_000_000, message=lazy_gettext("Antallet må være fra 1 til 1 000 000.")
            ),
        ],
        description=description,
    )


def reason_field(label: Any, description: Any) -> TextAreaField:
    """An optional reason, as the order actions (reject, cancel) take it: at most 1000."""
    return TextAreaField(
        label,
        validators=[
            Optional(),
            Length(max=1000, message=lazy_gettext("Høyst 1000 tegn.")),
            storable,
        ],
        description=description,
    )


class OrderForm(FlaskForm):
    """Field names as POST /orders: quantity, note (municipal roles order for their own)."""

    quantity = quantity_field(
        lazy_gettext("Antall"), lazy_gettext("Hvor mange enheter kommunen trenger.")
    )
    note = TextAreaField(
        lazy_gettext("Merknad"),
        validators=[
            Optional(),
            Length(max=2000, message=lazy_gettext("Høyst 2000 tegn.")),
            storable,
        ],
        description=lazy_gettext(
            "Valgfritt: hvem det gjelder, når det trengs, eller annet IT bør vite."
        ),
    )


class RejectForm(FlaskForm):
    """Field name as POST /orders/{id}/reject: reason (optional)."""

    reason = reason_field(
        lazy_gettext("Begrunnelse"), lazy_gettext("Valgfritt: fortell den som bestilte hvorfor.")
    )


class CatalogueFilter(Form):
    """The catalogue's GET form (no CSRF: it changes nothing)."""

    q = StringField(
        lazy_gettext("Søk"), description=lazy_gettext("Søk i navn, beskrivelse, kode og kategori.")
    )
    tier = SelectField(lazy_gettext("Nivå"), choices=[])
    category = SelectField(lazy_gettext("Kategori"), choices=[])


class CancelForm(FlaskForm):
    """Field name as POST /orders/{id}/cancel: reason (optional)."""

    reason = reason_field(
        lazy_gettext("Hvorfor"),
        lazy_gettext("Valgfritt: fortell de andre hvorfor bestillingen trekkes."),
    )


class QuantityChangeForm(FlaskForm):
    """PATCH /subscriptions/{id} {quantity, effective_on}, checked against the version seen."""

    quantity = quantity_field(
        lazy_gettext("Nytt antall"),
        lazy_gettext("Vil kommunen ikke ha tjenesten lenger, avslutt abonnementet."),
    )
    effective_on = LocalDateField(
        lazy_gettext("Gjelder fra"),
        validators=[Optional()],
        description=lazy_gettext("Tom: i dag. Kommunen kan ikke endre dager som er passert."),
    )
    version = HiddenField()


class EndForm(FlaskForm):
    """PATCH /subscriptions/{id} {end_on}: the first day no longer charged, or none."""

    end_on = LocalDateField(
        lazy_gettext("Avsluttes fra"),
        validators=[Optional()],
        description=lazy_gettext(
            "Den første dagen kommunen ikke betaler for. Tom: abonnementet løper videre."
        ),
    )
    version = HiddenField()
