"""Triage as pure logic: threshold arithmetic, figures, text cleaning, training on known data."""

from __future__ import annotations

import pickle
import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from scipy import sparse

from kommune_ikt.core.errors import ValidationFailed
from servicedesk.triage import corpus, features, figures, fitting, training, vectors
from tests.support import triage_format1 as format1

# --- threshold arithmetic -----------------------------------------------------------

CONF = [0.9, 0.8, 0.8, 0.7, 0.6, 0.5]
RIGHT = [True, True, False, True, False, False]
# Cumulative precision by candidate: 0.9 -> 1/1; 0.8 (a tie, taken together) -> 2/3;
# 0.7 -> 3/4; 0.6 -> 3/5; 0.5 -> 3/6.


def test_threshold_is_the_lowest_confidence_reaching_the_target():
    chosen = figures.choose_threshold(CONF, RIGHT, 0.75)
    assert chosen == figures.Threshold(0.7, 0.75, 4 / 6)


def test_a_stricter_target_gives_a_higher_threshold_and_less_coverage():
    assert figures.choose_threshold(CONF, RIGHT, 0.9) == figures.Threshold(0.9, 1.0, 1 / 6)
    # Ties go together: 0.8 alone would be 1/1 then 2/2, but the tie group is 2/3.
    assert figures.choose_threshold(CONF, RIGHT, 0.66) == figures.Threshold(0.7, 0.75, 4 / 6)
    assert figures.choose_threshold(CONF, RIGHT, 0.5) == figures.Threshold(0.5, 0.5, 1.0)


def test_a_target_never_reached_means_no_threshold():
    assert figures.choose_threshold([0.9, 0.5], [False, True], 0.9) == figures.Threshold(
        None, None, 0.0
    )
    assert figures.choose_threshold([], [], 0.9) == figures.Threshold(None, None, 0.0)


def test_order_of_the_input_does_not_matter():
    pairs = list(zip(CONF, RIGHT, strict=True))
    random.Random(1).shuffle(pairs)
    c, r = zip(*pairs, strict=True)
    assert figures.choose_threshold(c, r, 0.75) == figures.Threshold(0.7, 0.75, 4 / 6)


def test_field_figures_exact():
    truth = ["A", "A", "B", "B", "C"]
    ranked = [
        [("A", 0.95), ("B", 0.03)],
        [("B", 0.6), ("A", 0.3)],  # wrong, but A second
        [("B", 0.9), ("A", 0.1)],
        [("B", 0.8), ("C", 0.1)],
        [("A", 0.5), ("B", 0.3), ("C", 0.2)],  # wrong, C third
    ]
    result = figures.field_figures(truth, ranked, 0.9)
    # By confidence: 0.95 ok, 0.9 ok, 0.8 ok, 0.6 wrong, 0.5 wrong -> 0.8 reaches 3/3.
    assert result == {
        "held_out": 5,
        "accuracy": 0.6,
        "top3_accuracy": 1.0,
        "threshold": 0.8,
        "precision_at_threshold": 1.0,
        "coverage_at_threshold": 0.6,
    }


def test_per_class_and_confusion():
    truth = ["A", "A", "B"]
    predicted = ["A", "B", "B"]
    assert figures.per_class(truth, predicted) == {
        "A": {"precision": 1.0, "recall": 0.5, "support": 2},
        "B": {"precision": 0.5, "recall": 1.0, "support": 1},
    }
    assert figures.confusion(truth, predicted) == (["A", "B"], [[1, 1], [0, 1]])


# --- text ---------------------------------------------------------------------------


def test_clean_strips_greetings_and_signatures():
    text = features.clean(
        "Hei! Skriveren virker ikke",
        "Hei,\nSkriveren i 2. etasje\u0301 står.\n\nMed vennlig hilsen\nOla Nordmann\nRådgiver",
    )
    assert text == "skriveren virker ikke skriveren i 2. etasjé står."
    assert "ola" not in features.clean("Feil", "Noe er galt\nMvh\nOla")
    assert "iphone" not in features.clean("Feil", "Noe er galt\nSendt fra min iPhone")
    swedish = "Hej\nDatorn startar inte.\nMed vänliga hälsningar\nAnna"
    assert features.clean("Fel", swedish) == "fel datorn startar inte."


def test_language_guess():
    assert features.language("jag har glömt mitt lösenord och kan inte logga in") == "swedish"
    assert features.language("eg har gløymt passordet og kjem ikkje inn") == "norwegian"
    assert features.language("jeg får ikke logget inn") == "norwegian"


# --- training on a set with known structure ---------------------------------------

WORDS = {
    "HELSE": ["gerica", "journal", "pasient", "e-resept"],
    "SKOLE": ["feide", "elev", "itslearning", "timeplan"],
    "NETT": ["wifi", "vpn", "nettverk", "switch"],
}


def _rows(n: int, seed: int = 1) -> list[tuple]:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        queue = ["HELSE", "SKOLE", "NETT"][i % 3]
        words = rng.sample(WORDS[queue], 2)
        out.append(
            (start + timedelta(hours=i), f"Feil med {words[0]}", f"Problem: {words[1]}.", queue,
             queue.lower(), None)
        )  # fmt: skip
    rng.shuffle(out)  # prepare sorts by creation time
    return out


def test_prepare_refuses_too_few_saying_how_many_are_needed():
    with pytest.raises(ValidationFailed) as err:
        training.prepare(_rows(12))
    assert err.value.status == 422
    assert "at least 50" in err.value.detail and "38 more" in err.value.detail
    assert err.value.extra == {"needed": 50, "available": 12}


def test_prepare_refuses_one_queue():
    rows = [(r[0], r[1], r[2], "HELSE", None, None) for r in _rows(60)]
    with pytest.raises(ValidationFailed) as err:
        training.prepare(rows)
    assert "two queues" in err.value.detail


def test_prepare_drops_values_with_fewer_than_five_tickets():
    rows = _rows(60)
    rows[0] = (*rows[0][:3], "SJELDEN", "sjelden", None)
    samples = training.prepare(rows)
    assert "SJELDEN" not in samples.labels["queue"]
    assert samples.labels["queue"].count(None) == 1
    assert samples.created == sorted(samples.created)


def test_learn_measures_the_newest_fifth_and_fits_on_all():
    samples = training.prepare(_rows(100))
    model, measured = training.learn(samples, 0.9)
    assert measured["queue"]["held_out"] == 20
    assert measured["queue"]["accuracy"] == 1.0
    assert measured["queue"]["precision_at_threshold"] == 1.0
    assert measured["queue"]["coverage_at_threshold"] == 1.0
    assert measured["category"]["accuracy"] == 1.0
    assert "service_code" not in measured  # no values: skipped
    assert set(model.fields) == {"queue", "category"}
    assert model.word_ids  # fitted on all 100 (the trial saw 80)
    best = model.suggest("Gerica henger", "Journalen åpnes ikke")["queue"]
    assert best[0]["value"] == "HELSE" and len(best) == 3
    assert best[0]["confidence"] >= best[1]["confidence"] >= best[2]["confidence"]


@pytest.fixture(scope="module")
def demo_model() -> features.TriageModel:
    train = list(corpus.generate(600, 5))
    texts = [features.clean(s.title, s.description) for s in train]
    return fitting.fit(
        texts,
        {
            "queue": [s.queue for s in train],
            "category": [s.category for s in train],
            "service_code": [s.service_code for s in train],
        },
    )


def test_one_text_equals_many(demo_model):
    for s in corpus.generate(30, 9, held_out=True):
        text = features.clean(s.title, s.description)
        slow = demo_model.probabilities([text])
        fast = demo_model.one(text)
        for name, (classes, proba) in slow.items():
            assert fast[name][0] == classes
            np.testing.assert_allclose(fast[name][1], proba[0], atol=1e-5)  # float32 there


@pytest.mark.parametrize("min_df", [1, 2])
def test_features_equal_scikit_learns_tfidf(min_df):
    texts = [features.clean(s.title, s.description) for s in corpus.generate(300, 3)]
    counts = vectors.count(texts, features.word_analyzer, min_df=min_df)
    ours = vectors.tfidf(counts.matrix, vectors.idf(counts.matrix, min_df), counts.n_words)
    words, chars = format1.vectorisers(min_df)
    theirs = [words.fit_transform(texts), chars.fit_transform(texts)]
    for vectoriser, ids, offset, x in [
        (words, counts.words, 0, theirs[0]),
        (chars, counts.chars, counts.n_words, theirs[1]),
    ]:
        assert set(ids) == set(vectoriser.vocabulary_)
        order = [offset + ids[t] for t in vectoriser.get_feature_names_out()]
        np.testing.assert_allclose(ours[:, order].toarray(), x.toarray(), atol=1e-6)


def test_a_model_stored_in_format_1_still_loads_with_the_same_answers():
    """Models stored before the vocabulary became plain arrays held scikit-learn's fitted
    vectorisers and classifiers; unpickling one gives today's model with the same numbers."""
    train = list(corpus.generate(300, 11))
    texts = [features.clean(s.title, s.description) for s in train]
    old = format1.model(
        texts,
        {"queue": [s.queue for s in train], "category": [s.category for s in train],
         "service_code": ["S1"] * len(train)},
    )  # fmt: skip
    loaded = pickle.loads(pickle.dumps(old, protocol=pickle.HIGHEST_PROTOCOL))
    assert isinstance(loaded, features.TriageModel) and set(loaded.__dict__) == {
        "word_ids", "char_ids", "idf", "fields",
    }  # fmt: skip
    new = [features.clean(s.title, s.description) for s in corpus.generate(20, 12, held_out=True)]
    x = sparse.hstack([old.words.transform(new), old.chars.transform(new)], format="csr")
    got = loaded.probabilities(new)
    for name in ("queue", "category"):
        np.testing.assert_allclose(
            got[name][1], old.fields[name].classifier.predict_proba(x), atol=1e-5
        )
        assert loaded.one(new[0])[name][0] == got[name][0]
        np.testing.assert_allclose(loaded.one(new[0])[name][1], got[name][1][0], atol=1e-5)
    assert loaded.suggest("Skriver", "papirstopp")["service_code"] == [
        {"value": "S1", "confidence": 1.0}
    ]


@pytest.mark.parametrize(
    "title, description",
    [
        ("", ""),
        ("   ", "\n\n"),
        ("x" * 200, "y" * 20_000),
        ("Skriveren " * 20, "papirstopp " * 2_000),
        ("Проблема с принтером", "Принтер не печатает. 打印机坏了。"),
        ("Printer", "The printer on the second floor says paper jam."),
    ],
)
def test_any_text_gets_an_answer(demo_model, title, description):
    result = demo_model.suggest(title, description)
    assert set(result) == {"queue", "category", "service_code"}
    for values in result.values():
        assert len(values) <= 3
        assert all(0.0 <= v["confidence"] <= 1.0 for v in values)


def test_model_survives_pickling(demo_model):
    demo_model.suggest("Skriver", "papirstopp")  # builds the fast path, never pickled
    again = pickle.loads(pickle.dumps(demo_model))
    assert again.suggest("Skriver", "papirstopp") == demo_model.suggest("Skriver", "papirstopp")


def test_the_final_model_learns_from_the_newest_fifth_too():
    """The final fit starts from the trial's solution; it must still learn what only the
    newest tickets say (here: a system that appears in them alone)."""
    rows = _rows(300)
    rows.sort(key=lambda r: r[0])
    for i in range(240, 300, 3):  # newest fifth: HELSE tickets name a new system
        r = rows[i]
        rows[i] = (r[0], "Feil med Lifecare", "Lifecare sender ikke meldinger.", *r[3:])
    model, _ = training.learn(training.prepare(rows), 0.9)
    best = model.suggest("Lifecare", "Lifecare svarer ikke")["queue"][0]
    assert best["value"] == "HELSE" and best["confidence"] > 0.5
