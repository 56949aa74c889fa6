"""Turn a database Snapshot into Prometheus metric families (names, labels, units).

Conventions: prefix ``kommune_ikt_``, base units (seconds, ratios 0..1),
``_total`` on counters, ``_ratio``/``_seconds`` suffixes, and no metric
labelled by both municipality and service (that product is what would blow
up the series count).
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from metrics import slo
from metrics.readings import Snapshot

PERIODS = ("current_month", "previous_month")


def families_from(snap: Snapshot) -> Iterator[Metric]:
    yield from _service_families(snap)
    yield from _probe_families(snap)
    yield from _ticket_families(snap)
    yield from _sla_families(snap)
    yield from _scheduler_families(snap)


def _gauge(name: str, doc: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=labels)


def _counter(name: str, doc: str, labels: list[str]) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, labels=labels)


def _service_families(snap: Snapshot) -> Iterator[Metric]:
    info = _gauge(
        "kommune_ikt_service_info",
        "Catalogue facts of a service (always 1).",
        ["service", "tier", "status", "service_hours"],
    )
    target = _gauge(
        "kommune_ikt_service_availability_target_ratio",
        "Agreed availability of the service (e.g. 0.995).",
        ["service"],
    )
    up = _gauge(
        "kommune_ikt_service_up",
        "0 while an unplanned outage of the service is ongoing, else 1.",
        ["service"],
    )
    unavailable = _gauge(
        "kommune_ikt_service_unavailable",
        "1 while an unplanned outage is ongoing inside the service's agreed hours, else 0 "
        "(the SLI's bad time).",
        ["service"],
    )
    agreed = _gauge(
        "kommune_ikt_service_agreed_time",
        "1 while now is inside the service's agreed hours (always for 24x7), else 0.",
        ["service"],
    )
    maintenance = _gauge(
        "kommune_ikt_service_in_maintenance",
        "1 while a planned outage of the service is ongoing, else 0.",
        ["service"],
    )
    availability = _gauge(
        "kommune_ikt_service_availability_ratio",
        "Availability over the period (the current month up to now, or the previous month): "
        "1 - unplanned downtime inside the agreed hours / agreed time.",
        ["service", "period"],
    )
    budget = _gauge(
        "kommune_ikt_service_error_budget_remaining_ratio",
        "Share of the period's error budget left (the whole month's budget); negative when "
        "overspent.",
        ["service", "period"],
    )
    downtime = _counter(
        "kommune_ikt_service_downtime_seconds",
        "Unplanned downtime of the service since records began (wall-clock seconds).",
        ["service"],
    )
    planned_downtime = _counter(
        "kommune_ikt_service_planned_downtime_seconds",
        "Planned downtime of the service since records began (wall-clock seconds).",
        ["service"],
    )
    incidents = _counter(
        "kommune_ikt_service_outages",
        "Outages of the service since records began, by kind (unplanned, planned).",
        ["service", "kind"],
    )
    for service in snap.service_rows():
        code = service.code
        info.add_metric([code, service.tier, service.status, service.service_hours], 1)
        if service.target is not None:
            target.add_metric([code], service.target)
        recent = snap.recent.get(code, [])
        ongoing_unplanned = any(not p and b >= snap.now for p, (_a, b) in recent)
        ongoing_planned = any(p and b >= snap.now for p, (_a, b) in recent)
        up.add_metric([code], 0 if ongoing_unplanned else 1)
        in_hours = snap.is_agreed_time(service.service_hours)
        agreed.add_metric([code], 1 if in_hours else 0)
        unavailable.add_metric([code], 1 if ongoing_unplanned and in_hours else 0)
        maintenance.add_metric([code], 1 if ongoing_planned else 0)
        measure = snap.measure_for(service.service_hours)
        unplanned = [iv for p, iv in recent if not p]
        month_end = slo.next_month_start(snap.month_start)
        windows = {
            "current_month": (snap.month_start, snap.now, month_end),
            "previous_month": (snap.previous_month_start, snap.month_start, snap.month_start),
        }
        for period, (start, end, budget_end) in windows.items():
            result = slo.availability(
                service.target if service.target is not None else 1.0,
                start,
                end,
                unplanned,
                measure=measure,
                budget_seconds=measure(start, budget_end),
            )
            availability.add_metric([code, period], result.availability)
            if service.target is not None and result.error_budget_remaining is not None:
                budget.add_metric([code, period], result.error_budget_remaining)
        totals = snap.outage_totals.get(code)
        downtime.add_metric([code], totals.unplanned_seconds if totals else 0.0)
        planned_downtime.add_metric([code], totals.planned_seconds if totals else 0.0)
        incidents.add_metric([code, "unplanned"], totals.unplanned_count if totals else 0)
        incidents.add_metric([code, "planned"], totals.planned_count if totals else 0)
    yield from (info, target, up, unavailable, agreed, maintenance, availability, budget)
    yield from (downtime, planned_downtime, incidents)


def _probe_families(snap: Snapshot) -> Iterator[Metric]:
    probes = _gauge("kommune_ikt_probes", "Enabled and disabled HTTP probes.", ["service"])
    failing = _gauge(
        "kommune_ikt_probes_failing",
        "Probes whose last run failed.",
        ["service"],
    )
    runs = _counter("kommune_ikt_probe_runs", "HTTP probe runs since records began.", ["service"])
    failures = _counter(
        "kommune_ikt_probe_failures",
        "HTTP probe runs that failed since records began.",
        ["service"],
    )
    for code, totals in sorted(snap.probes.items()):
        probes.add_metric([code], totals.probes)
        failing.add_metric([code], totals.failing)
        runs.add_metric([code], totals.runs)
        failures.add_metric([code], totals.failures)
    yield from (probes, failing, runs, failures)


def _ticket_families(snap: Snapshot) -> Iterator[Metric]:
    by_queue = _gauge(
        "kommune_ikt_tickets_open",
        "Open tickets (new, assigned, in progress, pending) by queue and priority.",
        ["queue", "priority"],
    )
    for (queue, priority), count in sorted(snap.open_by_queue_priority.items()):
        by_queue.add_metric([queue, str(priority)], count)
    yield by_queue
    by_municipality = _gauge(
        "kommune_ikt_municipality_tickets_open",
        "Open tickets by municipality (kommunenummer).",
        ["municipality"],
    )
    for number, count in sorted(snap.open_by_municipality.items()):
        by_municipality.add_metric([number], count)
    yield by_municipality


def _sla_families(snap: Snapshot) -> Iterator[Metric]:
    breached = _gauge(
        "kommune_ikt_tickets_open_breached",
        "Open tickets whose response or resolution target is breached, by priority.",
        ["priority"],
    )
    for priority, count in sorted(snap.open_breached_by_priority.items()):
        breached.add_metric([str(priority)], count)
    yield breached
    events = _counter(
        "kommune_ikt_sla_events",
        "SLA warnings (75 % of the target used) and breaches recorded, by priority and target.",
        ["priority", "target", "kind"],
    )
    for (priority, target, kind), count in sorted(snap.sla_events.items()):
        events.add_metric([str(priority), target, kind], count)
    yield events
    outcomes = _gauge(
        "kommune_ikt_sla_outcomes",
        "Tickets created this month whose target is decided, by priority, target and outcome.",
        ["priority", "target", "outcome"],
    )
    compliance = _gauge(
        "kommune_ikt_sla_compliance_ratio",
        "Share of this month's decided targets that were met, by priority and target.",
        ["priority", "target"],
    )
    for (priority, target), (met, missed) in sorted(snap.compliance_by_priority.items()):
        outcomes.add_metric([str(priority), target, "met"], met)
        outcomes.add_metric([str(priority), target, "breached"], missed)
        if met + missed:
            compliance.add_metric([str(priority), target], met / (met + missed))
    yield from (outcomes, compliance)
    by_municipality = _gauge(
        "kommune_ikt_municipality_sla_compliance_ratio",
        "Share of this month's decided targets that were met, by municipality and target.",
        ["municipality", "target"],
    )
    for (number, target), (met, missed) in sorted(snap.compliance_by_municipality.items()):
        if met + missed:
            by_municipality.add_metric([number, target], met / (met + missed))
    yield by_municipality


def _scheduler_families(snap: Snapshot) -> Iterator[Metric]:
    heartbeat = _gauge(
        "kommune_ikt_scheduler_heartbeat_timestamp_seconds",
        "When the active scheduler last renewed its lease (Unix time).",
        [],
    )
    if snap.scheduler_heartbeat is not None:
        heartbeat.add_metric([], snap.scheduler_heartbeat.timestamp())
    yield heartbeat
    last_run = _gauge(
        "kommune_ikt_scheduler_job_last_run_timestamp_seconds",
        "Start of the job's last run in the past day, by outcome (ok, error, running).",
        ["job_id", "outcome"],
    )
    runs = _gauge(
        "kommune_ikt_scheduler_job_runs",
        "Runs of the job that started in the past day, by outcome.",
        ["job_id", "outcome"],
    )
    for job, outcomes in sorted(snap.job_runs.items()):
        for outcome, (count, last) in sorted(outcomes.items()):
            last_run.add_metric([job, outcome], last.timestamp())
            runs.add_metric([job, outcome], count)
    yield from (last_run, runs)
