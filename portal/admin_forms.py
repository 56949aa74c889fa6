"""Forms of the admin and catalogue managers' pages (field names are the API's), and how a
service's refusal is shown at the fields they name."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.errors import DomainError
from kommune_ikt.web.edge import db_session

NUMBER = Regexp(r"^\d{4}$", message=_l("Skriv et firesifret kommunenummer."))
ROLE_NAMES = {
    Role.REQUESTER: _l("Innmelder"),
    Role.ORDERER: _l("Bestiller"),
    Role.AGENT: _l("Saksbehandler"),
    Role.CATALOGUE_MANAGER: _l("Katalogforvalter"),
    Role.OPERATIONS: _l("Drift"),
    Role.ADMIN: _l("Administrator"),
}
LANGUAGE_CHOICES = [
    SelectChoice("", _l("Som nettleseren")),
    SelectChoice("nb", "Norsk bokmål"),
    SelectChoice("nn", "Norsk nynorsk"),
    SelectChoice("sv", "Svenska"),
    SelectChoice("en", "English"),
]
LEVELS = [
    SelectChoice("1", _l("1 – Høy")),
    SelectChoice("2", _l("2 – Middels")),
    SelectChoice("3", _l("3 – Lav")),
]
TYPES = [
    SelectChoice("incident", _l("Feil")),
    SelectChoice("service_request", _l("Bestilling eller spørsmål")),
]


def show_errors(form: FlaskForm, exc: DomainError) -> int:
    """The refusal's messages, in the user's language, at the fields they name (a dotted
    name such as ``match.service_code`` at its last part); the rest in the error summary.
    Returns the status to answer with (422, or 409 for a state conflict)."""
    # What the service changed before it refused is undone before the page shows the data.
    db_session().rollback()
    body = exc.to_problem(gettext)
    placed = False
    for name, messages in (body.get("errors") or {}).items():
        field = _field_for(form, name)
        if field is not None:
            field.errors = [*field.errors, *messages]
            placed = True
    if not placed or exc.status == 409:
        form.form_errors.append(body["detail"])
    return exc.status if exc.status in (409, 422) else 422


def _field_for(form: FlaskForm, name: str) -> Any:
    """The form's field for an error's name: ``hours.mon.0`` → ``hours_mon`` (the longest
    prefix that is a field), ``match.service_code`` → ``service_code`` (its last part)."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        found = form._fields.get("_".join(parts[:n]))
        if found is not None and name != "csrf_token":
            return found
    return form._fields.get(parts[-1])


def money(value: str | None) -> Decimal | None:
    """``"1 234,50"`` or ``"1234.50"`` as a Decimal; None when blank."""
    text = (value or "").replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if not text:
        return None
    return Decimal(text)


def decimal_or_none(value: str | None) -> Decimal | None:
    text = (value or "").strip().replace(",", ".")
    return Decimal(text) if text else None


def _money_check(form: Any, field: Any) -> None:
    try:
        amount = money(field.data)
    except InvalidOperation:
        raise ValidationError(gettext("Skriv et beløp, for eksempel 1234,50."))
    if amount is not None and (amount < 0 or amount.as_tuple().exponent < -2):  # type: ignore[operator]
        raise ValidationError(gettext("Skriv et beløp, for eksempel 1234,50."))


def _ratio_check(form: Any, field: Any) -> None:
    try:
        value = decimal_or_none(field.data)
    except InvalidOperation:
        raise ValidationError(gettext("Skriv et desimaltall mellom 0 og 1, for eksempel 0,4."))
    if value is not None and not 0 <= value <= 1:
        raise ValidationError(gettext("Skriv et desimaltall mellom 0 og 1, for eksempel 0,4."))


def parse_shares(text: str | None) -> dict[str, Decimal] | None:
    """Lines of ``1505: 0.4`` (or ``1505=0,4``) as ``{"1505": Decimal("0.4")}``."""
    shares: dict[str, Decimal] = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        found = re.fullmatch(r"\s*(\d{4})\s*[:=]\s*([0-9.,]+)\s*", line)
        if found is None:
            raise ValueError(line)
        shares[found.group(1)] = Decimal(found.group(2).replace(",", "."))
    return shares or None


def _shares_check(form: Any, field: Any) -> None:
    try:
        parse_shares(field.data)
    except (ValueError, InvalidOperation):
        raise ValidationError(
            gettext("Én kommune per linje: kommunenummer, kolon og andel, for eksempel 1505: 0,4.")
        )


DOMAIN = re.compile(
    r"^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def domains(text: str | None) -> list[str]:
    return [d for d in re.split(r"[\s,]+", text or "") if d]


def _domains_check(form: Any, field: Any) -> None:
    bad = [d for d in domains(field.data) if not DOMAIN.match(d)]
    if bad:
        raise ValidationError(gettext("Ikke et e-postdomene: %(domains)s.", domains=", ".join(bad)))


# --- admin -----------------------------------------------------------------------------


class UserCreateForm(FlaskForm):
    email = StringField(
        _l("E-post"),
        validators=[
            DataRequired(_l("Skriv en e-postadresse.")),
            Length(max=254),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Skriv en gyldig e-postadresse.")),
        ],
    )
    name = StringField(_l("Navn"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Rolle"), choices=[])
    municipality = SelectField(
        _l("Kommune"),
        choices=[],
        validators=[Optional()],
        description=_l("Bare for innmeldere og bestillere."),
    )
    language = SelectField(_l("Språk"), choices=LANGUAGE_CHOICES, validators=[Optional()])


class UserEditForm(FlaskForm):
    name = StringField(_l("Navn"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Rolle"), choices=[])
    municipality = SelectField(
        _l("Kommune"),
        choices=[],
        validators=[Optional()],
        description=_l("Bare for innmeldere og bestillere."),
    )
    language = SelectField(_l("Språk"), choices=LANGUAGE_CHOICES, validators=[Optional()])


class TokenForm(FlaskForm):
    name = StringField(
        _l("Navn på nøkkelen"),
        id="token-name",
        validators=[Optional(), Length(max=100)],
        description=_l("Hva nøkkelen brukes til, for eksempel et skript."),
    )


class MunicipalityAddForm(FlaskForm):
    number = StringField(
        _l("Kommunenummer"),
        validators=[DataRequired(_l("Skriv et firesifret kommunenummer.")), NUMBER],
        description=_l("Navn, innbyggertall og land hentes fra de offisielle listene."),
    )
    joined_on = DateField(
        _l("Medlem fra"),
        validators=[Optional()],
        description=_l("Tom: i dag."),
    )


class MunicipalityEditForm(FlaskForm):
    sla_policy_set = SelectField(_l("SLA-sett"), choices=[])
    email_domains = TextAreaField(
        _l("E-postdomener"),
        validators=[Optional(), Length(max=13_000), _domains_check],
        description=_l(
            "Ett domene per linje, for eksempel kristiansund.kommune.no. E-post fra disse "
            "domenene blir saker for kommunen."
        ),
    )
    left_on = DateField(
        _l("Utmeldt fra"),
        validators=[Optional()],
        description=_l(
            "Abonnementene avsluttes denne dagen, og åpne bestillinger avbrytes. "
            "Tom: fortsatt medlem."
        ),
    )


class PopulationForm(FlaskForm):
    year = IntegerField(
        _l("År"),
        validators=[
            InputRequired(_l("Skriv et årstall.")),
            NumberRange(1900, 2100, _l("Skriv et årstall mellom 1900 og 2100.")),
        ],
    )
    population = IntegerField(
        _l("Innbyggertall"),
        validators=[
            InputRequired(_l("Skriv innbyggertallet.")),
            NumberRange(0, 20_000_000, _l("Skriv et innbyggertall mellom 0 og 20 000 000.")),
        ],
        description=_l("Per 1. januar, slik SSB eller SCB publiserer det."),
    )
    source = StringField(_l("Kilde"), validators=[Optional(), Length(max=500)])


class RuleForm(FlaskForm):
    position = IntegerField(
        _l("Rekkefølge"),
        validators=[
            InputRequired(_l("Skriv et tall for rekkefølgen.")),
            NumberRange(-(2**31), 2**31 - 1),
        ],
        description=_l("Reglene prøves fra lavest til høyest tall; den første som passer, vinner."),
    )
    name = StringField(_l("Navn"), validators=[Optional(), Length(max=200)])
    queue = SelectField(_l("Kø"), choices=[])
    service_code = SelectField(_l("Tjeneste"), choices=[], validators=[Optional()])
    category = StringField(_l("Kategori"), validators=[Optional(), Length(max=100)])
    municipality = SelectField(_l("Kommune"), choices=[], validators=[Optional()])
    type = SelectField(
        _l("Type"), choices=[SelectChoice("", _l("Alle")), *TYPES], validators=[Optional()]
    )
    priority = SelectField(
        _l("Prioritet"),
        choices=[SelectChoice("", _l("Alle"))]
        + [SelectChoice(str(p), str(p)) for p in range(1, 5)],
        validators=[Optional()],
    )
    keywords = StringField(
        _l("Nøkkelord"),
        validators=[Optional(), Length(max=2000)],
        description=_l(
            "Skilt med komma; ett av dem må stå som helt ord i tittel eller beskrivelse."
        ),
    )

    def match(self) -> dict[str, Any]:
        words = [w.strip() for w in (self.keywords.data or "").split(",") if w.strip()]
        return {
            "service_code": self.service_code.data or None,
            "category": (self.category.data or "").strip() or None,
            "municipality": self.municipality.data or None,
            "type": self.type.data or None,
            "priority": int(self.priority.data) if self.priority.data else None,
            "keywords": words or None,
        }


class RouteTestForm(FlaskForm):
    class Meta:
        csrf = False  # a GET that changes nothing

    title = StringField(
        _l("Tittel"),
        id="dry-title",
        validators=[DataRequired(_l("Skriv en tittel.")), Length(max=200)],
    )
    description = TextAreaField(
        _l("Beskrivelse"), id="dry-description", validators=[Optional(), Length(max=20_000)]
    )
    type = SelectField(_l("Type"), id="dry-type", choices=TYPES)
    service_code = SelectField(
        _l("Tjeneste"), id="dry-service_code", choices=[], validators=[Optional()]
    )
    category = StringField(
        _l("Kategori"), id="dry-category", validators=[Optional(), Length(max=100)]
    )
    municipality = SelectField(_l("Kommune"), id="dry-municipality", choices=[])
    impact = SelectField(_l("Omfang"), id="dry-impact", choices=LEVELS, default="3")
    urgency = SelectField(_l("Hastegrad"), id="dry-urgency", choices=LEVELS, default="3")


# --- catalogue managers -----------------------------------------------------------------

SERVICE_CODE = Regexp(
    r"^[A-Z0-9][A-Z0-9._-]{0,39}$",
    message=_l("Store bokstaver, sifre, punktum, _ og -, høyst 40 tegn (for eksempel M365-LIC)."),
)


class ServiceForm(FlaskForm):
    code = StringField(_l("Kode"), validators=[DataRequired(_l("Skriv en kode.")), SERVICE_CODE])
    name = StringField(_l("Navn"), validators=[DataRequired(_l("Skriv et navn.")), Length(max=200)])
    description = TextAreaField(_l("Beskrivelse"), validators=[Optional(), Length(max=10_000)])
    tier = SelectField(
        _l("Nivå"),
        choices=[
            SelectChoice("basic", _l("Grunnleggende (fordeles)")),
            SelectChoice("optional", _l("Valgfri (per enhet)")),
            SelectChoice("special", _l("Spesiell (etter tilbud)")),
        ],
    )
    category = StringField(_l("Kategori"), validators=[Optional(), Length(max=100)])
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("planned", _l("Planlagt")),
            SelectChoice("active", _l("Aktiv")),
            SelectChoice("retired", _l("Avviklet")),
        ],
    )
    availability_target = StringField(
        _l("Tilgjengelighetsmål"),
        validators=[Optional(), _ratio_check],
        description=_l("Et desimaltall mellom 0 og 1, for eksempel 0,995. Tom: uten mål."),
    )
    service_hours = SelectField(
        _l("Åpningstid"),
        choices=[
            SelectChoice("business", _l("Kontortid")),
            SelectChoice("extended", _l("Utvidet")),
            SelectChoice("24x7", _l("Døgnet rundt")),
        ],
    )


class PriceForm(FlaskForm):
    year = IntegerField(
        _l("Budsjettår"),
        validators=[
            InputRequired(_l("Skriv et årstall.")),
            NumberRange(2000, 2100, _l("Skriv et budsjettår mellom 2000 og 2100.")),
        ],
    )
    annual_cost = StringField(_l("Årlig kostnad"), validators=[Optional(), _money_check])
    allocation_key = SelectField(_l("Fordelingsnøkkel"), choices=[], validators=[Optional()])
    unit = SelectField(
        _l("Enhet"),
        choices=[
            SelectChoice("user", _l("bruker")),
            SelectChoice("licence", _l("lisens")),
            SelectChoice("device", _l("enhet")),
            SelectChoice("site", _l("lokasjon")),
            SelectChoice("item", _l("stykk")),
        ],
        validators=[Optional()],
    )
    unit_price = StringField(_l("Enhetspris"), validators=[Optional(), _money_check])
    period = SelectField(
        _l("Periode"),
        choices=[
            SelectChoice("month", _l("per måned")),
            SelectChoice("year", _l("per år")),
            SelectChoice("once", _l("én gang")),
        ],
        validators=[Optional()],
    )
    setup_fee = StringField(_l("Etableringsgebyr"), validators=[Optional(), _money_check])
    hourly_rate = StringField(_l("Timepris"), validators=[Optional(), _money_check])


class ParticipantsForm(FlaskForm):
    year = IntegerField(
        _l("Budsjettår"),
        id="participants-year",
        validators=[
            InputRequired(_l("Skriv et årstall.")),
            NumberRange(2000, 2100, _l("Skriv et budsjettår mellom 2000 og 2100.")),
        ],
    )
    municipalities = StringField(
        _l("Deltakende kommuner"),
        validators=[Optional(), Length(max=6000)],
        description=_l("Kommunenumre skilt med komma."),
    )


class KeyForm(FlaskForm):
    name = StringField(_l("Navn"), validators=[DataRequired(_l("Skriv et navn.")), Length(max=80)])
    description = StringField(_l("Beskrivelse"), validators=[Optional(), Length(max=500)])
    equal_weight = StringField(
        _l("Likt delt (vekt)"),
        validators=[Optional(), _ratio_check],
        description=_l("Vektet nøkkel: andelen som deles likt, for eksempel 0,3."),
    )
    population_weight = StringField(
        _l("Etter innbyggertall (vekt)"),
        validators=[Optional(), _ratio_check],
        description=_l(
            "Vektet nøkkel: andelen som deles etter innbyggertall. Vektene summerer til 1."
        ),
    )
    population_year = IntegerField(
        _l("Innbyggertall fra år"),
        validators=[
            Optional(),
            NumberRange(1900, 2100, _l("Skriv et årstall mellom 1900 og 2100.")),
        ],
        description=_l("Tom: året før budsjettåret."),
    )
    fixed_shares = TextAreaField(
        _l("Faste andeler"),
        validators=[Optional(), _shares_check],
        description=_l(
            "I stedet for vekter: én kommune per linje, for eksempel 1505: 0,4. "
            "Andelene summerer til 1."
        ),
    )
    default = BooleanField(_l("Standardnøkkel"))

    def data_for_service(self) -> dict[str, Any]:
        return {
            "name": self.name.data.strip(),
            "description": self.description.data or "",
            "equal_weight": decimal_or_none(self.equal_weight.data),
            "population_weight": decimal_or_none(self.population_weight.data),
            "population_year": self.population_year.data,
            "fixed_shares": parse_shares(self.fixed_shares.data),
            "is_default": bool(self.default.data),
        }


class QuoteForm(FlaskForm):
    hours = StringField(_l("Timer"), validators=[Optional()])
    amount = StringField(_l("Beløp"), validators=[Optional(), _money_check])

    def validate_hours(self, field: Any) -> None:
        try:
            value = decimal_or_none(field.data)
        except InvalidOperation:
            raise ValidationError(gettext("Skriv et antall timer, for eksempel 12,5."))
        if value is not None and (value <= 0 or value.as_tuple().exponent < -2):  # type: ignore[operator]
            raise ValidationError(gettext("Skriv et antall timer, for eksempel 12,5."))


class RankForm(FlaskForm):
    priority_rank = IntegerField(
        _l("Plass i porteføljen"),
        validators=[
            InputRequired(_l("Skriv en plass, 1 eller høyere.")),
            NumberRange(1, 1_000_000, _l("Skriv en plass, 1 eller høyere.")),
        ],
    )
