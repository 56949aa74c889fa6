"""Flattening marshmallow messages into problem+json ``errors``."""

from kommune_ikt.core.errors import ValidationFailed, flatten_messages, problem


def test_body_fields_are_named_without_location():
    assert flatten_messages({"json": {"title": ["Missing."]}}) == {"title": ["Missing."]}


def test_nested_fields_are_dotted():
    messages = {"json": {"price": {"annual_cost": ["Must not be negative."]}}}
    assert flatten_messages(messages) == {"price.annual_cost": ["Must not be negative."]}


def test_whole_body_message_names_the_body():
    assert flatten_messages({"json": ["Invalid JSON body."]}) == {"body": ["Invalid JSON body."]}


def test_query_fields_are_named_as_themselves():
    assert flatten_messages({"query": {"limit": ["Too big."]}}) == {"limit": ["Too big."]}


def test_validation_failed_names_its_field():
    body = ValidationFailed("quantity", "Must be at least 1.").to_problem()
    assert body["status"] == 422
    assert body["errors"] == {"quantity": ["Must be at least 1."]}


def test_problem_has_rfc9457_members():
    body = problem(404, "Not found", "Ticket not found.")
    assert set(body) == {"type", "title", "status", "detail"}
