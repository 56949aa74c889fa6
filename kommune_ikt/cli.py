"""The `kommune-ikt` command: a Flask CLI group."""

from __future__ import annotations

import os
import signal
import subprocess  # serve starts gunicorn and the scheduler  # nosec B404
import sys
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from kommune_ikt import migrate
from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import SYSTEM, Role
from kommune_ikt.core.db import saved_id
from kommune_ikt.core.errors import DomainError

# Shipped inside the package (a symlink to ops/gunicorn.conf.py in the source tree).
GUNICORN_CONF = Path(__file__).resolve().parent / "gunicorn.conf.py"


def _create_app() -> Any:
    from kommune_ikt.app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def main() -> None:
    """Kommune-IKT: service catalogue, shared servicedesk and metrics."""


def _database_url() -> str:
    return current_app.config["SETTINGS"].database_url


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply all migrations (creates the SQLite file if needed)."""
    migrate.upgrade(_database_url(), revision)
    click.echo(f"database at {revision}")


@db.command("downgrade")
@click.argument("revision", default="-1")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Step the schema back (default: one migration)."""
    migrate.downgrade(_database_url(), revision)


def run_in_session(fn: Any) -> Any:
    """Run ``fn(session)`` in one transaction: the CLI command is the edge that commits."""
    database = current_app.extensions["kommune_ikt.db"]
    with database.session() as session, session.begin():
        return fn(session)


@main.group()
def user() -> None:
    """Users and tokens."""


@user.command("add")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--municipality", default=None, help="4-digit number, for municipal roles.")
@click.option("--name", default="")
@with_appcontext
def user_add(email: str, role: str, municipality: str | None, name: str) -> None:
    """Create a user and print the token once, alone on the last line."""

    def add(session: Any) -> str:
        new = auth_services.create_user(
            session, SYSTEM, email=email, role=role, municipality=municipality, name=name
        )
        return auth_services.issue_token(session, SYSTEM, saved_id(new), "cli").secret

    try:
        secret = run_in_session(add)
    except DomainError as exc:
        raise click.ClickException(exc.detail)
    click.echo(f"created {email} ({role}); token follows, shown once:")
    click.echo(secret)


@user.command("deactivate")
@click.argument("email")
@with_appcontext
def user_deactivate(email: str) -> None:
    """Deactivate a user and revoke all its tokens and sessions at once (offboarding)."""

    def deactivate(session: Any) -> int:
        found = auth_services.deactivate_user(session, SYSTEM, email)
        return found.id  # type: ignore[return-value]

    try:
        user_id = run_in_session(deactivate)
    except DomainError as exc:
        raise click.ClickException(exc.detail)
    click.echo(f"deactivated {email.strip().lower()} (user {user_id}); its tokens are revoked")


@main.group()
def member() -> None:
    """Member municipalities."""


@member.command("add")
@click.argument("number")
@click.option(
    "--joined-on",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="YYYY-MM-DD: the first day of membership.",
)
@with_appcontext
def member_add(number: str, joined_on: Any) -> None:
    """Make an official municipality a member (name, population, country from the shipped lists)."""
    from service_catalog.municipalities import add_municipality

    def add(session: Any) -> tuple[str, str]:
        added = add_municipality(session, SYSTEM, {"number": number, "joined_on": joined_on.date()})
        return added.name, added.country

    try:
        name, country = run_in_session(add)
    except DomainError as exc:
        raise click.ClickException(exc.detail)
    click.echo(f"{number} {name} ({country}) is a member from {joined_on.date().isoformat()}")


@main.group()
def demo() -> None:
    """Demo data."""


@demo.command("load")
@with_appcontext
def demo_load() -> None:
    """Load the real demo collaboration (IKT Orkidé) and print each demo user's token."""
    from kommune_ikt.demo import load_demo

    tokens = run_in_session(load_demo)
    click.echo("Demo users (tokens are shown once; run again for new ones):")
    for email, role, secret in tokens:
        click.echo(f"  {role:<18} {email:<40} {secret}")


@main.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option("--workers", default=None, type=int, help="Default: 2 × cores + 1, at most 8.")
@click.option(
    "--scheduler/--no-scheduler",
    default=True,
    show_default=True,
    help="Run the background scheduler beside gunicorn (single-machine set-up).",
)
def serve(bind: str, workers: int | None, scheduler: bool) -> None:
    """Run gunicorn with ops/gunicorn.conf.py (and the scheduler beside it)."""
    env = dict(os.environ)
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(GUNICORN_CONF),
        "--bind",
        bind,
        "kommune_ikt.wsgi:app",
    ]
    children = [subprocess.Popen(cmd, env=env)]  # noqa: S603 - our own argv  # nosec B603
    if scheduler and _has_scheduler():
        scheduler_cmd = [sys.executable, "-m", "kommune_ikt.cli", "scheduler"]
        scheduler_process = subprocess.Popen(scheduler_cmd, env=env)  # noqa: S603  # nosec B603
        children.append(scheduler_process)

    def forward(signum: int, _frame: Any) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    code = children[0].wait()
    forward(signal.SIGTERM, None)
    for child in children[1:]:
        child.wait()
    sys.exit(code)


@main.command("scheduler")
@click.option(
    "--every",
    "intervals",
    multiple=True,
    metavar="JOB=SECONDS",
    envvar="SCHEDULER_EVERY",
    help="Run a job at another interval (e.g. sla_sweep=10); repeatable. "
    "Env: SCHEDULER_EVERY, space-separated.",
)
@click.option(
    "--lease-seconds",
    default=30.0,
    show_default=True,
    envvar="SCHEDULER_LEASE_SECONDS",
    help="SQLite lease length.",
)
@click.option("--renew-seconds", default=10.0, show_default=True, envvar="SCHEDULER_RENEW_SECONDS")
@click.option(
    "--poll-seconds",
    default=5.0,
    show_default=True,
    envvar="SCHEDULER_POLL_SECONDS",
    help="Standby's lock polling.",
)
@click.option("--list", "list_jobs", is_flag=True, help="Print the jobs and exit.")
@with_appcontext
def scheduler_command(
    intervals: tuple[str, ...],
    lease_seconds: float,
    renew_seconds: float,
    poll_seconds: float,
    list_jobs: bool,
) -> None:
    """Run the background jobs (one active scheduler per deployment; others wait)."""
    from kommune_ikt.scheduler import Scheduler, SchedulerOptions

    overrides: dict[str, float] = {}
    for item in intervals:
        name, _, seconds = item.partition("=")
        try:
            overrides[name] = float(seconds)
        except ValueError:
            raise click.BadParameter(f"{item!r} is not JOB=SECONDS", param_hint="--every")
    options = SchedulerOptions(lease_seconds, renew_seconds, poll_seconds, overrides)
    try:
        scheduler = Scheduler(
            current_app.extensions["kommune_ikt.db"], current_app.config["SETTINGS"], options
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--every")
    if list_jobs:
        for job in scheduler.jobs:
            every = overrides.get(job.id, job.seconds)
            click.echo(f"{job.id:<24} every {every:>6g} s  {job.description}")
        return
    signal.signal(signal.SIGTERM, lambda *_: scheduler.stop())
    signal.signal(signal.SIGINT, lambda *_: scheduler.stop())
    scheduler.run()


@main.group()
def mail() -> None:
    """The servicedesk's mailbox (MAIL_IMAP_URL)."""


@mail.command("check")
@with_appcontext
def mail_check() -> None:
    """Connect and tell what the intake would do with each waiting mail; change nothing."""
    from servicedesk.mail.imap import MailConfigError
    from servicedesk.mail.job import check

    settings = current_app.config["SETTINGS"]
    if not settings.mail_imap_url:
        raise click.ClickException("MAIL_IMAP_URL is not set: the mail intake is off.")
    try:
        report = check(current_app.extensions["kommune_ikt.db"], settings)
    except (MailConfigError, OSError) as exc:
        raise click.ClickException(f"cannot read the mailbox: {exc}")
    except Exception as exc:  # imapclient's login and protocol errors
        raise click.ClickException(f"cannot read the mailbox: {type(exc).__name__}: {exc}")
    click.echo(f"{len(report)} mail(s) waiting in {settings.mail_imap_url.rsplit('@', 1)[-1]}")
    for uid, parsed, decision in report:
        click.echo(f"{uid:>6}  {parsed.sender or '?'}  {parsed.subject[:60]!r}")
        click.echo(f"        -> {decision.describe()}")


def _add_triage() -> None:
    from servicedesk.triage.cli import triage

    main.add_command(triage)


_add_triage()


def _has_scheduler() -> bool:
    return "scheduler" in main.commands


if __name__ == "__main__":
    main()
