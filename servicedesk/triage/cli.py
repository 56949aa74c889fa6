"""``kommune-ikt triage evaluate FILE.csv``: judge the model and the rules on labelled tickets."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from flask import current_app
from flask.cli import with_appcontext

from servicedesk.routing import Draft
from servicedesk.rules import route
from servicedesk.snapshot import reference
from servicedesk.triage import store, training
from servicedesk.triage.figures import FIELDS

if TYPE_CHECKING:
    from servicedesk.triage.features import TriageModel


@click.group("triage")
def triage() -> None:
    """Triage: judge the model on your own labelled tickets."""


@triage.command("evaluate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--train-from-db",
    is_flag=True,
    help="Train a fresh model in memory on the database's resolved tickets (nothing stored) "
    "instead of using the current model.",
)
@click.option(
    "--train-csv",
    type=click.Path(exists=True, dir_okay=False),
    help="Train in memory on this CSV (title, description, queue[, category, service_code]).",
)
@with_appcontext
def evaluate_command(file: str, train_from_db: bool, train_csv: str | None) -> None:
    """Print accuracy, per-queue precision and recall, the confusion matrix and
    precision/coverage at the threshold, for the model and for the routing rules alone.

    FILE has the columns title, description and queue."""
    from servicedesk.triage import evaluate as ev

    settings = current_app.config["SETTINGS"]
    database = current_app.extensions["kommune_ikt.db"]
    try:
        rows = ev.read_csv(file)
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc))
    if not rows:
        raise click.ClickException(f"{file} has no tickets.")
    with database.session() as session:
        ref = reference(session)
        model: TriageModel | None
        if train_csv or train_from_db:
            if train_csv:
                source = ev.read_csv(train_csv)
                samples = training.prepare(
                    [(i, r["title"], r["description"], r["queue"], r.get("category"),
                      r.get("service_code")) for i, r in enumerate(source)]
                )  # fmt: skip
            else:
                samples = training.prepare(
                    training.read_samples(session, settings.triage_max_samples)
                )
            model, measured = training.learn(samples, settings.triage_target_precision)
            threshold = measured.get("queue", {}).get("threshold")
            label = f"trained in memory on {len(samples.texts)} tickets"
        else:
            current = store.current(session)
            model, threshold = current.model, current.thresholds.get("queue")
            label = f"model {current.version} ({current.state})"
    default = ref.default_queue().code

    def rules_queue(title: str, description: str) -> str:
        draft = Draft("incident", title, description, "", 3)
        decision = route(ref, draft)
        return decision.queue.code if decision.rule is not None else default

    result = ev.evaluate(rows, model, threshold, rules_queue, settings.triage_target_precision)
    click.echo(f"{label}; fields: {', '.join(f for f in FIELDS if model and f in model.fields)}")
    for line in ev.report(result):
        click.echo(line)
