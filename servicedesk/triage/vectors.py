"""Many tickets' texts -> TF-IDF rows, counted once and weighted per fit, cheaply.

The features are those features.py describes (stemmed word uni- and bigrams;
``char_wb`` 2–5-grams), the same numbers scikit-learn's ``TfidfVectorizer``
gives with ``sublinear_tf``, smooth idf, ``min_df`` and l2 rows per part,
but made differently, because that is where training spent its time and
memory (100 000 tickets: 12 s and 450 MiB for the character n-grams alone):

- A text's character n-grams are the sum of its whitespace tokens' n-grams,
  and a desk writes the same few tens of thousands of tokens again and
  again. So the n-grams are made once per distinct token and the count
  matrix is a sparse product: (texts × tokens) @ (tokens × n-grams).
- The texts are counted once; each fit (the trial on the older tickets, the
  final one on all) only computes its own idf and weights, in a new data
  array that shares the counts' indices. A feature too rare for a fit gets
  idf 0, which is what leaving it out of that fit's vocabulary amounts to.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

CHARS = (2, 5)  # char_wb n-gram lengths
MAX_CHAR_FEATURES = 200_000  # character n-grams kept at most (those in the most texts)
CHUNK = 8_192  # rows weighted at a time (bounds the temporary arrays)


def char_wb(word: str, low: int = CHARS[0], high: int = CHARS[1]) -> list[str]:
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


@dataclass
class Counts:
    """Term counts per text, columns ``[words | chars]``; ``chars`` ids start at 0."""

    matrix: sparse.csr_matrix
    words: dict[str, int]
    chars: dict[str, int]

    @property
    def n_words(self) -> int:
        return len(self.words)


def _csr(indices: array, indptr: array, columns: int) -> sparse.csr_matrix:
    rows = len(indptr) - 1
    m = sparse.csr_matrix(
        (
            np.ones(len(indices), dtype=np.float32),
            np.frombuffer(indices, dtype=np.int32) if indices else np.zeros(0, np.int32),
            np.frombuffer(indptr, dtype=np.int64),
        ),
        shape=(rows, columns),
    )
    m.sum_duplicates()  # sorted, one entry per (row, column) with its count
    return m


def _ids(
    items: Iterable[Iterable[str]], vocabulary: dict[str, int], grow: bool
) -> tuple[array, array]:
    indices, indptr = array("i"), array("q", [0])
    if grow:
        add = vocabulary.setdefault
        for terms in items:
            indices.extend([add(t, len(vocabulary)) for t in terms])
            indptr.append(len(indices))
    else:
        get = vocabulary.get
        for terms in items:
            indices.extend([j for t in terms if (j := get(t)) is not None])
            indptr.append(len(indices))
    return indices, indptr


def count(
    texts: Sequence[str],
    word_terms: Callable[[str], list[str]],
    words: dict[str, int] | None = None,
    chars: dict[str, int] | None = None,
    min_df: int = 1,
) -> Counts:
    """Count ``texts`` (cleaned): learning the vocabularies when none are given (terms in
    fewer than ``min_df`` texts left out; of the character n-grams at most
    ``MAX_CHAR_FEATURES``, the most frequent), else with the given ones (terms not in them
    are not counted)."""
    grow = words is None
    words = {} if words is None else words
    chars = {} if chars is None else chars
    w = _csr(*_ids(map(word_terms, texts), words, grow), len(words))
    tokens: dict[str, int] = {}
    per_text = _csr(*_ids((t.split() for t in texts), tokens, True), len(tokens))
    grams = _csr(*_ids(map(char_wb, tokens), chars, grow), len(chars))
    del tokens
    nnz = None
    if grow:
        w, words, _ = _frequent(w, words, _df(w), min_df, len(words))
        # The n-gram counts are made twice, a slice of texts at a time: first only
        # to learn which n-grams stay, then into arrays of exactly the right size.
        df = np.zeros(grams.shape[1], dtype=np.int64)
        for start in range(0, len(texts), CHUNK):
            df += _df(per_text[start : start + CHUNK] @ grams)
        grams, chars, keep = _frequent(grams, chars, df, min_df, MAX_CHAR_FEATURES)
        nnz = w.nnz + int(df[keep].sum())
    return Counts(_stack(w, per_text, grams, nnz), words, chars)


def _df(m: sparse.csr_matrix) -> np.ndarray:
    return np.bincount(m.indices, minlength=m.shape[1])


def _frequent(
    m: sparse.csr_matrix, vocabulary: dict[str, int], df: np.ndarray, min_df: int, most: int
) -> tuple[sparse.csr_matrix, dict[str, int], np.ndarray]:
    """The columns of terms in at least ``min_df`` texts (of them the ``most`` in the most
    texts), renumbered; and which columns those were."""
    keep = df >= min_df
    if keep.sum() > most:
        by_df = np.argsort(-np.where(keep, df, -1), kind="stable")
        keep[:] = False
        keep[by_df[:most]] = True
    if keep.all():
        return m, vocabulary, keep
    new = np.cumsum(keep) - 1
    kept = {t: int(new[j]) for t, j in vocabulary.items() if keep[j]}
    return m[:, np.flatnonzero(keep)].tocsr(), kept, keep


def _stack(
    w: sparse.csr_matrix, per_text: sparse.csr_matrix, grams: sparse.csr_matrix, nnz: int | None
) -> sparse.csr_matrix:
    """``[w | per_text @ grams]``, made a slice of rows at a time into arrays of ``nnz``
    entries (when known), so the whole matrix exists only once."""
    n, columns = w.shape[0], w.shape[1] + grams.shape[1]
    parts = (
        sparse.hstack(
            [w[start : start + CHUNK], per_text[start : start + CHUNK] @ grams],
            format="csr",
            dtype=np.float32,
        )
        for start in range(0, n, CHUNK)
    )
    if nnz is None:
        return sparse.vstack(list(parts), format="csr") if n else sparse.csr_matrix((0, columns))
    data = np.empty(nnz, dtype=np.float32)
    indices = np.empty(nnz, dtype=np.int32)
    indptr = np.zeros(n + 1, dtype=np.int64)
    pos = 0
    for start, part in zip(range(0, n, CHUNK), parts, strict=True):
        data[pos : pos + part.nnz] = part.data
        indices[pos : pos + part.nnz] = part.indices
        indptr[start + 1 : start + 1 + part.shape[0]] = part.indptr[1:] + pos
        pos += part.nnz
    if pos != nnz:
        raise AssertionError(f"counted {pos} entries, expected {nnz}")
    return sparse.csr_matrix((data, indices, indptr), shape=(n, columns), copy=False)


def rows(m: sparse.csr_matrix, start: int, stop: int) -> sparse.csr_matrix:
    """Rows ``start:stop`` of ``m`` sharing its data and indices (no copy)."""
    lo, hi = m.indptr[start], m.indptr[stop]
    indptr = m.indptr[start : stop + 1] - lo
    return sparse.csr_matrix(
        (m.data[lo:hi], m.indices[lo:hi], indptr), shape=(stop - start, m.shape[1]), copy=False
    )


def idf(counts: sparse.csr_matrix, min_df: int) -> np.ndarray:
    """Smooth idf ``ln((1 + n) / (1 + df)) + 1`` of the terms in at least ``min_df`` of these
    rows, 0 for the others (as if they were not in the vocabulary)."""
    n, columns = counts.shape
    df = np.bincount(counts.indices, minlength=columns)
    out = np.log((1 + n) / (1 + df)) + 1
    out[df < min_df] = 0.0
    return out


def tfidf(
    counts: sparse.csr_matrix, weights: np.ndarray, n_words: int, in_place: bool = False
) -> sparse.csr_matrix:
    """``(1 + ln tf) · idf``, each part (words, chars) of each row scaled to length 1; in a
    new data array, or ``in_place`` in the counts' own (which are then gone)."""
    data = counts.data if in_place else np.empty(counts.nnz, dtype=np.float32)
    indptr, indices = counts.indptr, counts.indices
    for start in range(0, counts.shape[0], CHUNK):
        stop = min(start + CHUNK, counts.shape[0])
        lo, hi = indptr[start], indptr[stop]
        cols = indices[lo:hi]
        d = (1.0 + np.log(counts.data[lo:hi], dtype=np.float64)) * weights[cols]
        key = np.repeat(np.arange(stop - start) * 2, np.diff(indptr[start : stop + 1]))
        key += cols >= n_words
        norm = np.sqrt(np.bincount(key, weights=d * d, minlength=2 * (stop - start)))
        norm[norm == 0] = 1.0
        data[lo:hi] = d / norm[key]
    return sparse.csr_matrix((data, indices, indptr), shape=counts.shape, copy=False)
