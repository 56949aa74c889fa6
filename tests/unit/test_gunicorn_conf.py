"""ops/gunicorn.conf.py's worker hook: the loaded app is frozen out of the collector."""

import gc
import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parents[2] / "ops" / "gunicorn.conf.py"


def test_a_started_worker_freezes_what_it_has_loaded():
    hooks = runpy.run_path(str(CONF))
    loaded = [[n] for n in range(1000)]  # lists: objects the collector tracks
    assert gc.get_freeze_count() == 0
    try:
        hooks["post_worker_init"](None)
        assert gc.get_freeze_count() > len(loaded)
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0


def test_workers_are_threaded_so_idle_browser_connections_do_not_stall_them():
    settings = runpy.run_path(str(CONF))
    assert settings["worker_class"] == "gthread"
    assert settings["threads"] >= 2
