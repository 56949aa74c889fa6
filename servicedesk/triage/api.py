"""Triage HTTP API: train, list, show and activate models; suggest for a draft ticket."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from kommune_ikt.core.auth.actor import Role
from kommune_ikt.web.edge import current_actor, database, db_session, roles
from kommune_ikt.web.schemas import ListArgs
from servicedesk.triage import store, training
from servicedesk.triage.schemas import (
    SuggestArgsSchema,
    SuggestionSchema,
    TriageModelPageSchema,
    TriageModelSchema,
)

blp = Blueprint("triage", __name__, description="Triage: models learned from resolved tickets")


@blp.route("/triage/models")
class TriageModels(MethodView):
    @roles(Role.AGENT)
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, TriageModelPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Models, newest first, with their figures."""
        items, cursor = training.list_models(db_session(), current_actor(), **args)
        return {"items": items, "next_cursor": cursor}

    @roles(Role.ADMIN)
    @blp.response(201, TriageModelSchema)
    def post(self) -> Any:
        """Train a model now from resolved tickets and make it current (admin)."""
        actor = current_actor()
        # The request's own transaction (authentication) ends here: training reads, fits
        # and writes in transactions of its own, and holds none open while it fits.
        db_session().commit()
        return training.train(database(), actor, current_app.config["SETTINGS"])


@blp.route("/triage/models/current")
class CurrentTriageModel(MethodView):
    @roles(Role.AGENT)
    @blp.response(200, TriageModelSchema)
    def get(self) -> Any:
        """The current model and its figures (404 when none was trained)."""
        return training.get_current(db_session(), current_actor())


@blp.route("/triage/models/<int:version>/activate")
class ActivateTriageModel(MethodView):
    @roles(Role.ADMIN)
    @blp.response(200, TriageModelSchema)
    def post(self, version: int) -> Any:
        """Make this model current (roll back to an earlier one)."""
        return training.activate(db_session(), current_actor(), version)


@blp.route("/triage/suggest")
class Suggest(MethodView):
    @roles(Role.AGENT)
    @blp.arguments(SuggestArgsSchema)
    @blp.response(200, SuggestionSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """The current model's top 3 queues, categories and services for a draft ticket."""
        current_actor().require(Role.AGENT)
        return store.suggest(db_session(), data["title"], data["description"])


def blueprints() -> list[Blueprint]:
    return [blp]
