"""The allowed arrows between the parts (docs/architecture.md), checked on every import.

Layers, lowest first; a module may import its own layer and those below it:

    kernel           kommune_ikt/core: db, types, errors, config, pagination, tenancy,
                     auth, events, the scheduler's lease and job record
    web              kommune_ikt/web: the HTTP edge every blueprint shares
    notifications    the outbox and its mail
    service_catalog  the catalogue, budgets, orders, cost reports
    servicedesk      tickets, SLA, mail, attachments, triage (reads the catalogue)
    metrics          availability and the Prometheus figures (reads both)
    portal           the web pages for people (uses every domain's services)
    composition      kommune_ikt's top modules (app, cli, scheduler, demo, wsgi...)

Two more rules: the kernel never imports Flask, and a domain's own modules never
import Flask or the web layer; only its edge modules (HTTP resources and their
schemas, CLI commands, the /metrics exposition) do.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = [
    "kernel",
    "web",
    "notifications",
    "service_catalog",
    "servicedesk",
    "metrics",
    "portal",
    "composition",
]
PACKAGES = ("kommune_ikt", "notifications", "service_catalog", "servicedesk", "metrics", "portal")
DOMAINS = ("notifications", "service_catalog", "servicedesk", "metrics")
FLASK = ("flask", "flask_smorest", "flask_babel", "flask_wtf", "werkzeug")
# Modules of a domain that are its edge (HTTP, CLI, exposition): they may import Flask.
EDGE_NAMES = {"api.py", "schemas.py", "cli.py", "exposition.py"}
EDGE_PREFIXES = ("api_", "schemas_")
EDGE_FOLDERS = ("/api/", "/schemas/")
# Debt, named so that it cannot grow unnoticed; each entry must still be needed.
KNOWN: set[tuple[str, str]] = set()


def layer_of(path: str) -> str:
    parts = path.removesuffix(".py").split("/")
    if parts[0] != "kommune_ikt":
        return parts[0]
    if len(parts) > 1 and parts[1] == "core":
        return "kernel"
    if len(parts) > 1 and parts[1] == "web":
        return "web"
    return "composition"


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module + "." + alias.name for alias in node.names]
            # ``from kommune_ikt import __version__`` names the composition's package
            # itself, which holds nothing but the version.
            found.update(
                names if node.module in ("kommune_ikt", "kommune_ikt.core") else [node.module]
            )
    return found


def modules() -> list[Path]:
    out = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" not in relative:
                out.append(path)
    return out


def is_edge(relative: str) -> bool:
    name = relative.rsplit("/", 1)[-1]
    return (
        name in EDGE_NAMES
        or name.startswith(EDGE_PREFIXES)
        or any(folder in relative for folder in EDGE_FOLDERS)
    )


def target_layer(module: str) -> str:
    if module == "kommune_ikt.__version__":
        return "kernel"
    return layer_of(module.replace(".", "/") + ".py")


def violations() -> set[tuple[str, str]]:
    found = set()
    for path in modules():
        relative = path.relative_to(ROOT).as_posix()
        mine = layer_of(relative)
        for module in imports(path):
            top = module.split(".")[0]
            if top in PACKAGES:
                target = target_layer(module)
                if LAYERS.index(target) > LAYERS.index(mine):
                    found.add((relative, target))
                elif target == "web" and mine in DOMAINS and not is_edge(relative):
                    found.add((relative, "web"))
            if top in FLASK and (mine == "kernel" or (mine in DOMAINS and not is_edge(relative))):
                found.add((relative, top))
    return found


def test_every_import_follows_an_allowed_arrow() -> None:
    unexpected = violations() - KNOWN
    assert not unexpected, "imports against the allowed arrows: " + ", ".join(
        f"{module} imports {target}" for module, target in sorted(unexpected)
    )


def test_every_known_exception_is_still_needed() -> None:
    assert not (KNOWN - violations()), "remove the fixed entries from KNOWN"


def test_the_check_sees_each_kind_of_violation(tmp_path: Path, monkeypatch) -> None:
    assert layer_of("kommune_ikt/core/errors.py") == "kernel"
    assert layer_of("kommune_ikt/web/edge.py") == "web"
    assert layer_of("kommune_ikt/cli.py") == "composition"
    assert layer_of("kommune_ikt/scheduler.py") == "composition"
    assert is_edge("service_catalog/api/orders.py") and not is_edge("servicedesk/services.py")
    assert is_edge("service_catalog/schemas/orders.py") and is_edge(
        "service_catalog/api/__init__.py"
    )
    bad = {
        "kommune_ikt/core/bad.py": "from servicedesk.models import Ticket\nimport flask\n",
        "servicedesk/bad.py": "from kommune_ikt.web.edge import roles\nfrom metrics import events\n",
        "notifications/bad.py": "from kommune_ikt import app\n",
    }
    for relative, text in bad.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    monkeypatch.setattr(__name__ + ".modules", lambda: [tmp_path / relative for relative in bad])
    monkeypatch.setattr(__name__ + ".ROOT", tmp_path)
    assert violations() == {
        ("kommune_ikt/core/bad.py", "servicedesk"),
        ("kommune_ikt/core/bad.py", "flask"),
        ("servicedesk/bad.py", "web"),
        ("servicedesk/bad.py", "metrics"),
        ("notifications/bad.py", "composition"),
    }


# The servicedesk's use cases that change tickets: metrics never calls them.
DESK_WRITES = ("servicedesk.services", "servicedesk.filing", "servicedesk.incidents",
               "servicedesk.fulfilment")  # fmt: skip


def imported_names(path: Path) -> set[str]:
    """Every module and ``from`` name imported, dotted (``from a import b``: ``a.b``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_metrics_never_calls_the_desks_use_cases() -> None:
    """An unplanned outage's incident is filed and resolved by the desk on metrics'
    signals (servicedesk/signals.py), not by metrics calling the desk."""
    found = {
        (path.relative_to(ROOT).as_posix(), name)
        for path in sorted((ROOT / "metrics").rglob("*.py"))
        for name in imported_names(path)
        if name.startswith(DESK_WRITES)
    }
    assert not found, found


def test_tickets_are_filed_only_through_the_filing_package() -> None:
    """Outside servicedesk/filing/, only ``servicedesk.filing`` itself is imported (its
    ``file_ticket``), never the steps inside it."""
    found = {
        (relative, name)
        for path in modules()
        if not (relative := path.relative_to(ROOT).as_posix()).startswith("servicedesk/filing/")
        for name in imported_names(path)
        if name.startswith("servicedesk.filing.")
        and name not in ("servicedesk.filing.file_ticket", "servicedesk.filing.NewTicket",
                         "servicedesk.filing.Filed", "servicedesk.filing.AutoRoute")
    }  # fmt: skip
    assert not found, found
