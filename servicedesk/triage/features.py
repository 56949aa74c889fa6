"""Triage as pure logic: ticket text -> features -> one calibrated linear classifier per field.

No database and no Flask here, so the text handling and the model can be
unit-tested and benchmarked alone.

Text = title + description, NFC-normalised and lower-cased; a greeting at
the start and everything from a closing ("Mvh", "Med vennlig hilsen",
"Vennleg helsing", "Med vänliga hälsningar", "Best regards", ...) or a
"Sendt fra min iPhone" line on is dropped. Words are stemmed with the
Snowball stemmer of the text's language (a cheap guess: Swedish when Swedish
marker words or letters outweigh Norwegian ones, else Norwegian, which serves
bokmål and, reasonably, nynorsk). Features are word uni- and bigrams of the
stems plus character 2–5-grams inside word boundaries (``char_wb``, robust
to typos and compounds: "skriveren", "skrivaren", "skrivarn"), each TF-IDF
weighted with sublinear term frequency. One vectoriser serves every field;
each field (queue, category, service_code) gets a multinomial logistic
regression, whose predicted probabilities are the confidences. Thresholds are
never taken from these numbers' face value: training.py measures, on held-out
tickets, the confidence at which the predictions are precise enough.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import snowballstemmer
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from servicedesk.triage.figures import FIELDS

TOP = 3
# A ticket's text beyond this is not read: the start says what it is about, and
# an enormous text must not make a suggestion slow.
MAX_CHARS = 4_000

GREETING = re.compile(
    r"^\s*(hei(san|sann)?|hej|hallo|hello|hi|god (morgen|morgon|dag)|goddag|heisann)"
    r"(\s+(alle|dere|servicedesk|kundeservice|support|there|team))?\s*[,!.:]?\s*",
)
CLOSING = re.compile(
    r"^\s*(mvh|m\.v\.h\.?|med vennlig hilsen|med venleg helsing|vennlig hilsen|vennleg helsing"
    r"|venleg helsing|hilsen|helsing|hälsningar|med vänliga hälsningar|vänliga hälsningar"
    r"|mvh\.|best regards|kind regards|regards|thanks|takk på forhånd|takk for hjelpen?"
    r"|takk for hjelpa|tack på förhand|tack)\b",
)
DEVICE_TAIL = re.compile(
    r"^\s*(sendt fra|skickat från|sent from|hent outlook|få outlook|get outlook)\b"
)
WORD = re.compile(r"\w+")
SWEDISH = frozenset(
    [
        "jag",
        "inte",
        "och",
        "är",
        "det",
        "att",
        "kan",
        "har",
        "med",
        "för",
        "på",
        "mig",
        "min",
        "vi",
        "behöver",
        "fungerar",
        "också",
        "hälsningar",
        "hej",
        "tack",
    ]
)
NORWEGIAN = frozenset(
    [
        "jeg",
        "eg",
        "ikke",
        "ikkje",
        "og",
        "er",
        "det",
        "å",
        "kan",
        "har",
        "med",
        "for",
        "på",
        "meg",
        "min",
        "vi",
        "trenger",
        "treng",
        "fungerer",
        "også",
        "hilsen",
        "helsing",
        "hei",
        "takk",
    ]
)
STEMMERS = {
    "norwegian": snowballstemmer.stemmer("norwegian"),
    "swedish": snowballstemmer.stemmer("swedish"),
}


def clean(title: str, description: str) -> str:
    """The ticket's text as the model reads it: NFC, lower case, no greeting or signature."""
    text = unicodedata.normalize("NFC", f"{title or ''}\n{description or ''}")[:MAX_CHARS]
    lines = text.lower().splitlines()
    kept: list[str] = []
    for n, line in enumerate(lines):
        if n > 0 and (CLOSING.match(line) or DEVICE_TAIL.match(line)):
            # A closing or a device tail: what follows is a signature. The title
            # (line 0) is always kept, whatever it starts with.
            break
        kept.append(GREETING.sub("", line, count=1) if n <= 2 else line)
    return " ".join(" ".join(kept).split())


def language(text: str) -> str:
    """``swedish`` or ``norwegian`` (also for nynorsk, English and anything else)."""
    words = WORD.findall(text)
    sv = sum(w in SWEDISH for w in words) + 2 * sum(c in "äö" for c in text)
    no = sum(w in NORWEGIAN for w in words) + 2 * sum(c in "æø" for c in text)
    return "swedish" if sv > no else "norwegian"


@functools.lru_cache(maxsize=200_000)
def _stem(lang: str, word: str) -> str:
    return STEMMERS[lang].stemWord(word)


def stems(text: str) -> list[str]:
    """The text's words, stemmed in its (guessed) language."""
    lang = language(text)
    return [_stem(lang, w) for w in WORD.findall(text) if not w.isdigit()]


def _word_analyzer(text: str) -> list[str]:
    words = stems(text)
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


@dataclass
class FieldModel:
    """One field's classifier (None when the field had fewer than two classes)."""

    classes: list[str]
    classifier: LogisticRegression | None


@dataclass
class TriageModel:
    """The fitted vectorisers and one classifier per field; pickled into ``triage_models``."""

    words: TfidfVectorizer
    chars: TfidfVectorizer
    fields: dict[str, FieldModel] = field(default_factory=dict)

    def features(self, texts: Sequence[str]) -> Any:
        return sparse.hstack(
            [self.words.transform(texts), self.chars.transform(texts)], format="csr"
        )

    def __getstate__(self) -> dict[str, Any]:
        # The fast path's arrays are derived: rebuilt after loading, never stored.
        return {k: v for k, v in self.__dict__.items() if k != "_fast"}

    def _fast_path(self) -> _Fast:
        fast = self.__dict__.get("_fast")
        if fast is None:
            fast = self.__dict__["_fast"] = _Fast.of(self)
        return fast

    def probabilities(self, texts: Sequence[str]) -> dict[str, tuple[list[str], np.ndarray]]:
        """Per field: its classes and each text's probability of each class."""
        x = self.features(texts)
        out = {}
        for name, fm in self.fields.items():
            if fm.classifier is None:
                out[name] = (fm.classes, np.ones((len(texts), 1)))
            else:
                out[name] = (fm.classes, fm.classifier.predict_proba(x))
        return out

    def suggest(
        self, title: str, description: str, top: int = TOP, only: Sequence[str] = FIELDS
    ) -> dict[str, list[dict]]:
        """The best ``top`` values per field (of ``only``) with their confidence, best first."""
        text = clean(title, description)
        result: dict[str, list[dict]] = {f: [] for f in FIELDS}
        if not text:
            return result
        for name, (classes, row) in self._fast_path().probabilities(text, only).items():
            order = np.argsort(-row)[:top]
            result[name] = [
                {"value": classes[i], "confidence": round(float(row[i]), 4)} for i in order
            ]
        return result


def _char_wb(word: str, low: int = 2, high: int = 5) -> list[str]:
    """scikit-learn's ``char_wb`` n-grams of one word (a word shorter than n counts once)."""
    w = f" {word} "
    size = len(w)
    grams: list[str] = []
    for n in range(low, high + 1):
        if size <= n:
            grams.append(w)
            break
        grams += [w[i : i + n] for i in range(size - n + 1)]
    return grams


class _Fast:
    """One text's probabilities without scikit-learn's per-call checks (which cost more than
    the arithmetic): the same analysers, vocabulary, idf, l2 norm and linear scores, on
    the handful of features the text has. Equal to ``probabilities`` (a unit test checks)."""

    def __init__(self, model: TriageModel) -> None:
        self.parts = []
        self.char_cache: dict[str, list[int]] = {}
        offset = 0
        for vectoriser in (model.words, model.chars):
            self.parts.append(
                (vectoriser.build_analyzer(), vectoriser.vocabulary_, vectoriser.idf_, offset)
            )
            offset += len(vectoriser.vocabulary_)
        self.fields: dict[str, tuple[list[str], np.ndarray | None, np.ndarray | None]] = {}
        for name, fm in model.fields.items():
            if fm.classifier is None:
                self.fields[name] = (fm.classes, None, None)
            else:
                coef = fm.classifier.coef_
                coef = coef.toarray() if sparse.issparse(coef) else np.asarray(coef)
                self.fields[name] = (
                    fm.classes,
                    np.ascontiguousarray(coef.T, dtype=np.float64),
                    np.asarray(fm.classifier.intercept_, dtype=np.float64),
                )

    @classmethod
    def of(cls, model: TriageModel) -> _Fast:
        return cls(model)

    def _char_ids(self, word: str) -> list[int]:
        """The vocabulary indices of ``word``'s char_wb n-grams (as scikit-learn makes them)."""
        ids = self.char_cache.get(word)
        if ids is None:
            if len(self.char_cache) > 100_000:
                self.char_cache.clear()
            vocabulary = self.parts[1][1]
            ids = [j for g in _char_wb(word) if (j := vocabulary.get(g)) is not None]
            self.char_cache[word] = ids
        return ids

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        indices: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for part, (analyse, vocabulary, idf, offset) in enumerate(self.parts):
            counts: dict[int, int] = {}
            if part == 0:
                for token in analyse(text):
                    j = vocabulary.get(token)
                    if j is not None:
                        counts[j] = counts.get(j, 0) + 1
            else:
                for word, n in Counter(text.split()).items():
                    for j in self._char_ids(word):
                        counts[j] = counts.get(j, 0) + n
            if not counts:
                continue
            idx = np.fromiter(counts, dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            v = (1.0 + np.log(tf)) * idf[idx]
            v /= np.sqrt(v @ v)
            indices.append(idx + offset)
            values.append(v)
        if not indices:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(indices), np.concatenate(values)

    def probabilities(
        self, text: str, only: Sequence[str] = FIELDS
    ) -> dict[str, tuple[list[str], np.ndarray]]:
        idx, val = self.vector(text)
        out = {}
        for name, (classes, coef_t, intercept) in self.fields.items():
            if name not in only:
                continue
            if coef_t is None:
                out[name] = (classes, np.ones(1))
                continue
            scores = val @ coef_t[idx] + intercept
            if scores.shape[0] == 1:  # two classes: a logistic of one score
                p = 1.0 / (1.0 + np.exp(-scores[0]))
                out[name] = (classes, np.array([1.0 - p, p]))
            else:
                e = np.exp(scores - scores.max())
                out[name] = (classes, e / e.sum())
        return out


def make_vectorisers(min_df: int = 1) -> tuple[TfidfVectorizer, TfidfVectorizer]:
    words = TfidfVectorizer(
        analyzer=_word_analyzer, sublinear_tf=True, min_df=min_df, dtype=np.float32
    )
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 5),
        sublinear_tf=True,
        min_df=min_df,
        max_features=200_000,
        dtype=np.float32,
    )
    return words, chars


def fit(texts: Sequence[str], labels: Mapping[str, Sequence[str | None]]) -> TriageModel:
    """Fit the vectorisers on ``texts`` (cleaned) and a classifier per field.

    ``labels[field][i]`` is text i's value, or None when it has none (that text
    does not teach the field). A field with fewer than two classes gets no
    classifier: it always suggests its one value (or nothing).
    """
    min_df = 2 if len(texts) >= 5_000 else 1
    words, chars = make_vectorisers(min_df)
    x = sparse.hstack([words.fit_transform(texts), chars.fit_transform(texts)], format="csr")
    model = TriageModel(words, chars)
    for name in FIELDS:
        values = labels.get(name)
        if values is None:
            continue
        rows = [i for i, v in enumerate(values) if v is not None]
        y = [v for v in values if v is not None]
        classes = sorted(set(y))
        if not classes:
            continue
        if len(classes) < 2:
            model.fields[name] = FieldModel(classes, None)
            continue
        classifier = LogisticRegression(C=3.0, max_iter=100, tol=1e-3)
        # One thread: BLAS threads only fight each other (and the web workers) on a
        # small machine; with them the fit took four times as long on two cores.
        with threadpool_limits(1):
            classifier.fit(x[rows], y)
        model.fields[name] = FieldModel(list(classifier.classes_), classifier)
    return model
