"""The process's instruments are made once, even when a gthread worker's first requests
ask for them on several threads at once (two sets would overwrite each other's counts
in the worker's multiprocess file: requests answered, never counted)."""

from __future__ import annotations

import threading
import time

from metrics import instruments as module


def test_threads_asking_at_once_get_one_set_of_instruments(monkeypatch):
    monkeypatch.setattr(module, "_made", None)
    slow = module._make

    def made_slowly():
        time.sleep(0.05)  # wide enough for every thread to ask while the first one makes
        return slow()

    monkeypatch.setattr(module, "_make", made_slowly)
    start = threading.Barrier(8)
    got = []

    def ask():
        start.wait()
        got.append(module.instruments())

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 8 and len({id(tools) for tools in got}) == 1
    assert module.instruments() is got[0]
