"""CURRENCY: NOK by default, SEK for a Swedish collaboration, in every amount's documentation."""

from __future__ import annotations

import json

import pytest

from kommune_ikt.app import create_app
from kommune_ikt.core.config import Settings


def money_descriptions(spec):
    """(schema.property, description, x-currency) of every money field in the document."""
    found = []
    for name, schema in spec["components"]["schemas"].items():
        for prop, body in (schema.get("properties") or {}).items():
            if "x-currency" in body:
                found.append((f"{name}.{prop}", body.get("description", ""), body["x-currency"]))
    return found


@pytest.mark.parametrize("currency", ["NOK", "SEK"])
def test_every_amount_is_documented_in_the_deployment_currency(currency):
    app = create_app({"currency": currency, "database_url": "sqlite://", "TESTING": True})
    spec = app.test_client().get("/api/v1/openapi.json").json
    money = money_descriptions(spec)
    names = {name for name, _d, _c in money}
    assert {"Price.annual_cost", "Price.unit_price", "Price.hourly_rate"} <= names, names
    assert all(c == currency and currency in d for _n, d, c in money), money
    other = {"NOK": "SEK", "SEK": "NOK"}[currency]
    assert other not in json.dumps(spec)
    assert currency in spec["info"]["description"]


def test_currency_defaults_to_nok_and_refuses_others():
    assert Settings.from_env({}).currency == "NOK"
    assert Settings.from_env({"CURRENCY": "SEK"}).currency == "SEK"
    with pytest.raises(ValueError, match="CURRENCY"):
        Settings.from_env({"CURRENCY": "EUR"})
