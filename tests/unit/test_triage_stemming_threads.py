"""Stemming from several threads at once (a gthread worker's requests triaging tickets)
gives every word its own stem, never another thread's, and never an IndexError: the
snowball stemmers keep the word they work on in the shared object."""

from __future__ import annotations

import sys
import threading

import snowballstemmer

from servicedesk.triage import features


def test_threads_stemming_at_once_get_their_own_stems():
    before = sys.getswitchinterval()
    for cached in features._STEM.values():
        cached.cache_clear()
    # Words not seen before (each is stemmed once, then cached), Norwegian ones.
    words = [f"skriverne{i}" if i % 2 else f"datamaskinene{i}" for i in range(4000)]
    fresh = snowballstemmer.stemmer("norwegian")
    expected = {w: fresh.stemWord(w) for w in words}
    got: dict[str, str] = {}
    errors: list[BaseException] = []

    def work(chunk: list[str]) -> None:
        try:
            for word in chunk:
                got[word] = features._STEM["norwegian"](word)
        except BaseException as exc:  # what a request thread would raise
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(words[i::8],)) for i in range(8)]
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(before)
    assert not errors, errors[:3]
    wrong = {w: (got[w], expected[w]) for w in words if got[w] != expected[w]}
    assert not wrong, list(wrong.items())[:5]
