"""The allowed arrows between the parts (docs/architecture.md), checked on every import.

Layers, lowest first; a module may import its own layer and those below it:

    kernel           kommune_ikt/* except the composition modules
    service_catalog  the catalogue, budgets, orders, cost reports
    servicedesk      tickets, SLA, mail, attachments, triage (reads the catalogue)
    metrics          availability and the Prometheus figures (reads both)
    portal           the web pages for people (uses every domain's services)
    composition      kommune_ikt.app, cli, demo, wsgi: knows every part

and the domains' own modules never import Flask: only their edge modules (HTTP
resources, their schemas, CLI commands, the /metrics exposition) do.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["kernel", "service_catalog", "servicedesk", "metrics", "portal", "composition"]
COMPOSITION = (
    "kommune_ikt/app.py",
    "kommune_ikt/cli.py",
    "kommune_ikt/demo.py",
    "kommune_ikt/wsgi.py",
)
DOMAINS = ("service_catalog", "servicedesk", "metrics")
WEB = ("flask", "flask_smorest", "flask_babel", "flask_wtf", "werkzeug", "portal")
# Modules of a domain that are its edge (HTTP, CLI, exposition): they may import Flask.
EDGE_NAMES = {"api.py", "cli.py", "exposition.py"}
EDGE_PREFIXES = ("api_",)
EDGE_PACKAGES = {"api", "schemas"}
EDGE_SCHEMAS = {"servicedesk/attachments/schemas.py"}  # flask-smorest's Upload field
# Debt, named so that it cannot grow unnoticed; each entry must still be needed.
KNOWN = {
    # Counting triage outcomes uses the metrics package's in-process counters.
    ("servicedesk/triage/outcomes.py", "metrics"),
    # The scheduler (a kernel facility: Job, lease, runner) still schedules the SLA sweep
    # and counts job events itself instead of taking them from the domains' providers.
    ("kommune_ikt/scheduler/jobs.py", "metrics"),
    ("kommune_ikt/scheduler/jobs.py", "servicedesk"),
}


def layer_of(path: str) -> str:
    if path.startswith(COMPOSITION):
        return "composition"
    top = path.split("/")[0].removesuffix(".py")
    return "kernel" if top == "kommune_ikt" else top


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules() -> list[Path]:
    out = []
    for package in ("kommune_ikt", *DOMAINS, "portal"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" not in relative:
                out.append(path)
    return out


def is_edge(relative: str) -> bool:
    parts = relative.split("/")
    name = parts[-1]
    # A domain's api/ and schemas/ packages (flask-smorest resources and their schemas).
    in_edge_package = len(parts) > 2 and parts[0] in DOMAINS and parts[-2] in EDGE_PACKAGES
    return (
        name in EDGE_NAMES
        or name.startswith(EDGE_PREFIXES)
        or relative in EDGE_SCHEMAS
        or in_edge_package
    )


def violations() -> set[tuple[str, str]]:
    found = set()
    for path in modules():
        relative = path.relative_to(ROOT).as_posix()
        mine = LAYERS.index(layer_of(relative))
        for module in imports(path):
            top = module.split(".")[0]
            if top in ("kommune_ikt", *DOMAINS, "portal"):
                target = layer_of(module.replace(".", "/") + ".py")
                if top == "kommune_ikt" and module.split(".")[1:2] in (
                    ["app"],
                    ["cli"],
                    ["demo"],
                    ["wsgi"],
                ):
                    target = "composition"
                if LAYERS.index(target) > mine:
                    found.add((relative, top))
            if (
                top in WEB
                and layer_of(relative) in DOMAINS
                and not is_edge(relative)
                and top != "portal"
            ):
                found.add((relative, top))
    return found


def test_every_import_follows_an_allowed_arrow() -> None:
    unexpected = violations() - KNOWN
    assert not unexpected, "imports against the allowed arrows: " + ", ".join(
        f"{module} imports {target}" for module, target in sorted(unexpected)
    )


def test_every_known_exception_is_still_needed() -> None:
    assert not (KNOWN - violations()), "remove the fixed entries from KNOWN"


def test_the_check_sees_a_violation() -> None:
    assert layer_of("kommune_ikt/errors.py") == "kernel"
    assert layer_of("kommune_ikt/cli.py") == "composition"
    assert layer_of("kommune_ikt/scheduler/jobs.py") == "kernel"
    assert is_edge("service_catalog/api/orders.py") and not is_edge("servicedesk/services.py")
    assert is_edge("service_catalog/schemas/orders.py") and is_edge(
        "service_catalog/api/__init__.py"
    )
    assert not is_edge("kommune_ikt/api/orders.py")
