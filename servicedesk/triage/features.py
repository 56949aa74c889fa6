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
weighted with sublinear term frequency (vectors.py counts them for many
texts at once). One vocabulary serves every field; each field (queue,
category, service_code) gets a multinomial logistic regression, whose
predicted probabilities are the confidences. Thresholds are never taken from
these numbers' face value: training.py measures, on held-out tickets, the
confidence at which the predictions are precise enough.

The stored model is plain arrays (vocabularies, idf, coefficients), so a
suggestion is a short loop and a small dot product, and loading a model
needs no scikit-learn; scikit-learn fits the classifiers.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import snowballstemmer
from scipy import sparse

from servicedesk.triage import vectors
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
    return _language([_token(t) for t in text.split()])


@functools.lru_cache(maxsize=200_000)
def _token(token: str) -> tuple[tuple[str, ...], int, int]:
    """A whitespace-separated token's words (numbers left out) and how Swedish and how
    Norwegian it looks: a marker word counts 1, each of ä/ö (æ/ø) 2. Texts repeat the
    same tokens, so this is worked out once per token."""
    words = WORD.findall(token)
    sv = sum(w in SWEDISH for w in words) + 2 * (token.count("ä") + token.count("ö"))
    no = sum(w in NORWEGIAN for w in words) + 2 * (token.count("æ") + token.count("ø"))
    return tuple(w for w in words if not w.isdigit()), sv, no


def _language(tokens: list[tuple[tuple[str, ...], int, int]]) -> str:
    sv = sum(t[1] for t in tokens)
    no = sum(t[2] for t in tokens)
    return "swedish" if sv > no else "norwegian"


# A snowball stemmer keeps the word it works on in the object itself: two threads of a
# gthread worker stemming at once get each other's stems, or an IndexError. One at a
# time, then; each word is stemmed once per process (cached), so the lock is rarely held.
_STEM_LOCK = threading.Lock()


def _one_at_a_time(stemmer: Any) -> Any:
    def stem(word: str) -> str:
        with _STEM_LOCK:
            return str(stemmer.stemWord(word))

    return functools.lru_cache(maxsize=200_000)(stem)


_STEM = {lang: _one_at_a_time(stemmer) for lang, stemmer in STEMMERS.items()}


def stems(text: str) -> list[str]:
    """The text's words, stemmed in its (guessed) language."""
    tokens = [_token(t) for t in text.split()]
    stem = _STEM[_language(tokens)]
    return [stem(w) for t in tokens for w in t[0]]


def word_analyzer(text: str) -> list[str]:
    words = stems(text)
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def dense(coef: Any) -> np.ndarray:
    return np.asarray(coef.toarray() if sparse.issparse(coef) else coef)


@dataclass
class FieldModel:
    """One field's classes and linear scores: ``coef`` (features × classes, or × 1 for two
    classes, a logistic of one score) and ``intercept``; both None for a single class."""

    classes: list[str]
    coef: np.ndarray | None = None
    intercept: np.ndarray | None = None

    def __setstate__(self, state: dict[str, Any]) -> None:
        if "classifier" in state:  # format 1: the fitted LogisticRegression itself
            fitted = state.pop("classifier")
            if fitted is not None:
                state["coef"] = np.ascontiguousarray(dense(fitted.coef_).T, dtype=np.float32)
                state["intercept"] = np.asarray(fitted.intercept_, dtype=np.float64)
        self.__dict__.update({"coef": None, "intercept": None, **state})

    def scores(self, x: Any) -> np.ndarray:
        """Probabilities of each class for the rows of ``x`` (tf-idf, features × columns)."""
        if self.coef is None or self.intercept is None:
            return np.ones((x.shape[0], 1))
        s = np.asarray(x @ self.coef, dtype=np.float64) + self.intercept
        if s.shape[1] == 1:
            p = 1.0 / (1.0 + np.exp(-s[:, 0]))
            return np.column_stack([1.0 - p, p])
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


@dataclass
class TriageModel:
    """Vocabularies, idf and one linear model per field: plain arrays, pickled into
    ``triage_models`` (format 2; no scikit-learn object in it, so loading one needs none).

    A row written in format 1 (scikit-learn's fitted vectorisers and classifiers) is
    turned into this form when unpickled, with the same numbers."""

    word_ids: dict[str, int]
    char_ids: dict[str, int]
    idf: np.ndarray  # words' then chars'
    fields: dict[str, FieldModel] = field(default_factory=dict)

    def __getstate__(self) -> dict[str, Any]:
        # The per-word cache is derived: rebuilt after loading, never stored.
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if "idf" not in state:  # format 1: {words, chars: TfidfVectorizer, fields}
            words, chars = state.pop("words"), state.pop("chars")
            state["word_ids"] = {t: int(j) for t, j in words.vocabulary_.items()}
            state["char_ids"] = {t: int(j) for t, j in chars.vocabulary_.items()}
            state["idf"] = np.concatenate([words.idf_, chars.idf_]).astype(np.float64)
        self.__dict__.update(state)

    def _counts(self, texts: Sequence[str]) -> Any:
        return vectors.count(texts, word_analyzer, self.word_ids, self.char_ids).matrix

    def probabilities(self, texts: Sequence[str]) -> dict[str, tuple[list[str], np.ndarray]]:
        """Per field: its classes and each text's probability of each class."""
        x = vectors.tfidf(self._counts(texts), self.idf, len(self.word_ids))
        return {name: (fm.classes, fm.scores(x)) for name, fm in self.fields.items()}

    def suggest(
        self, title: str, description: str, top: int = TOP, only: Sequence[str] = FIELDS
    ) -> dict[str, list[dict]]:
        """The best ``top`` values per field (of ``only``) with their confidence, best first."""
        text = clean(title, description)
        result: dict[str, list[dict]] = {f: [] for f in FIELDS}
        if not text:
            return result
        for name, (classes, row) in self.one(text, only).items():
            order = np.argsort(-row)[:top]
            result[name] = [
                {"value": classes[i], "confidence": round(float(row[i]), 4)} for i in order
            ]
        return result

    def _char_ids(self, word: str) -> list[int]:
        """The feature indices of ``word``'s char_wb n-grams, cached per word."""
        cache: dict[str, list[int]] | None = self.__dict__.get("_cache")
        if cache is None or len(cache) > 100_000:
            cache = self.__dict__["_cache"] = {}
        ids = cache.get(word)
        if ids is None:
            offset, vocabulary = len(self.word_ids), self.char_ids
            ids = [
                offset + j for g in vectors.char_wb(word) if (j := vocabulary.get(g)) is not None
            ]
            cache[word] = ids
        return ids

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """One text's tf-idf as ``(indices, values)``: what ``probabilities`` computes for a
        list, without building sparse matrices (which cost more than the arithmetic)."""
        indices: list[np.ndarray] = []
        values: list[np.ndarray] = []
        words: dict[int, int] = {}
        for token in word_analyzer(text):
            j = self.word_ids.get(token)
            if j is not None:
                words[j] = words.get(j, 0) + 1
        chars: dict[int, int] = {}
        for word, n in Counter(text.split()).items():
            for j in self._char_ids(word):
                chars[j] = chars.get(j, 0) + n
        for counts in (words, chars):
            if not counts:
                continue
            idx = np.fromiter(counts, dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            v = (1.0 + np.log(tf)) * self.idf[idx]
            norm = np.sqrt(v @ v)
            if norm:
                v /= norm
            indices.append(idx)
            values.append(v)
        if not indices:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(indices), np.concatenate(values)

    def one(self, text: str, only: Sequence[str] = FIELDS) -> dict[str, tuple[list[str], Any]]:
        """One cleaned text's probabilities per field (of ``only``)."""
        idx, val = self.vector(text)
        out = {}
        for name, fm in self.fields.items():
            if name not in only:
                continue
            if fm.coef is None or fm.intercept is None:
                out[name] = (fm.classes, np.ones(1))
                continue
            scores = val @ fm.coef[idx] + fm.intercept
            if scores.shape[0] == 1:  # two classes: a logistic of one score
                p = 1.0 / (1.0 + np.exp(-scores[0]))
                out[name] = (fm.classes, np.array([1.0 - p, p]))
            else:
                e = np.exp(scores - scores.max())
                out[name] = (fm.classes, e / e.sum())
        return out
