"""Helpers the tests share: plain functions, classes and constants (fixtures stay in conftest.py).

One module per kind of helper, imported as ``from tests.support.<module> import ...``:
machine (CI, free ports, waiting), databases, users, desk, sla, portal, catalog,
metrics, smtp, mailserver, clamd, served (a real ``kommune-ikt serve``),
scheduler, faults, pages (the browser), world (the role matrix and fuzzing).
"""
