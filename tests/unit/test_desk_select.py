"""The desk's quick select writes exactly what wtforms' own select writes."""

from wtforms import Form, SelectField
from wtforms.fields.choices import SelectChoice

from portal.desk.forms import ManyOptions

CHOICES = [
    SelectChoice("", "Alle"),
    SelectChoice("me", "Meg"),
    SelectChoice("7", 'Kari "K" <Nordmann> & co'),
    SelectChoice("8", "Ola", render_kw={"disabled": True}),
    SelectChoice("9", ""),
]


class Plain(Form):
    assignee = SelectField("Saksbehandler", choices=CHOICES, validate_choice=False)


class Quick(Form):
    assignee = SelectField(
        "Saksbehandler", choices=CHOICES, validate_choice=False, widget=ManyOptions()
    )


def test_same_markup_as_wtforms() -> None:
    for chosen in ("", "7", "me", "nobody"):
        plain, quick = Plain(data={"assignee": chosen}), Quick(data={"assignee": chosen})
        assert str(quick.assignee()) == str(plain.assignee())
        assert str(quick.assignee(class_="ds-select")) == str(plain.assignee(class_="ds-select"))


def test_text_is_escaped() -> None:
    html = str(Quick(data={"assignee": "7"}).assignee())
    assert '<option selected value="7">Kari &#34;K&#34; &lt;Nordmann&gt; &amp; co</option>' in html
