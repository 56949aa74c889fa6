"""A seeded generator of realistic municipal servicedesk tickets, for the demo, tests and bench.

Tickets are built from a grammar, not filled from templates: per intent (a
queue, a category and maybe a service) there are many title and sentence
phrasings in bokmål, nynorsk, Swedish and a little English, with slots
(systems, places, devices, times) filled at random; a description shuffles
a few of the intent's sentences with context and filler, wraps them in a
greeting and a signature (or not) and adds typos. ``ambiguous`` mixes two
intents, labelled by the first (the one the desk resolved it as).

Phrasings are split in two: every fourth phrasing of each list is *held out*
(``held_out=True`` makes the generator use it, the default leaves it out),
so an evaluation set built with ``held_out=True`` and another seed contains
wordings that no training ticket has.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from servicedesk.triage.phrases import (
    CLOSINGS,
    FILLER,
    GREETINGS,
    INTENTS,
    LANGUAGES,
    NAMES,
    QUEUES,
    SLOTS,
    TAILS,
    TITLES_OF,
    VAGUE_TITLES,
    Intent,
)


@dataclass(frozen=True)
class Sample:
    title: str
    description: str
    queue: str
    category: str
    service_code: str | None
    language: str
    ambiguous: bool = False
    intent: str = ""
    also: str | None = field(default=None)  # the second queue of an ambiguous ticket


def _split(items: Sequence[str], held_out: bool) -> list[str]:
    """Every fourth phrasing is held out: only the evaluation generator may use it."""
    kept = [x for i, x in enumerate(items) if held_out or i % 4 != 3]
    return kept or list(items)


def _fill(rng: random.Random, text: str) -> str:
    def slot(m: re.Match[str]) -> str:
        name = m.group(1)
        if name == "phone_number":
            return f"{rng.randint(400, 999)} {rng.randint(10, 99)} {rng.randint(100, 999)}"
        return rng.choice(SLOTS[name])

    return re.sub(r"\{(\w+)\}", slot, text)


def _typos(rng: random.Random, text: str, rate: float) -> str:
    words = text.split(" ")
    for i, w in enumerate(words):
        if len(w) > 3 and rng.random() < rate:
            j = rng.randrange(1, len(w) - 1)
            kind = rng.random()
            if kind < 0.4:
                w = w[:j] + w[j + 1 :]
            elif kind < 0.8:
                w = w[: j - 1] + w[j] + w[j - 1] + w[j + 1 :]
            else:
                w = w[:j] + w[j] + w[j:]
            words[i] = w
    return " ".join(words)


def _language(rng: random.Random) -> str:
    r, acc = rng.random(), 0.0
    for lang, share in LANGUAGES:
        acc += share
        if r < acc:
            return lang
    return "nb"


def _phrases(intent: Intent, lang: str, held_out: bool) -> tuple[list[str], list[str]]:
    """(titles, sentences) of the intent in ``lang`` (bokmål's fill in for missing ones)."""
    if lang == "nb":
        return _split(intent.titles, held_out), _split(intent.lines, held_out)
    own = {"nn": intent.nn, "sv": intent.sv, "en": intent.en}[lang]
    if not own:
        return _split(intent.titles, held_out), _split(intent.lines, held_out)
    # A foreign-language ticket often has a Norwegian title or a Norwegian sentence in it.
    return list(own) + _split(intent.titles, held_out)[:1], list(own)


def _ticket_text(
    rng: random.Random, intents: Sequence[Intent], lang: str, held_out: bool
) -> tuple[str, str]:
    main = intents[0]
    titles, lines = _phrases(main, lang, held_out)
    title = _fill(rng, rng.choice(titles))
    sentences = rng.sample(lines, k=min(len(lines), rng.choice((1, 1, 2, 2, 3))))
    for other in intents[1:]:
        # Genuinely about both: as much text about the second, and often its title.
        o_titles, o_lines = _phrases(other, lang, held_out)
        sentences += rng.sample(o_lines, k=min(len(o_lines), len(sentences)))
        if rng.random() < 0.4:
            title = _fill(rng, rng.choice(o_titles))
        elif rng.random() < 0.4:
            title = f"{title} / {_fill(rng, rng.choice(o_titles)).lower()}"
    if rng.random() < 0.08:
        title = _fill(rng, rng.choice(VAGUE_TITLES))
    filler = FILLER.get(lang, FILLER["nb"])
    sentences += rng.sample(filler, k=rng.choice((0, 0, 1, 1, 2)))
    rng.shuffle(sentences)
    body = " ".join(_fill(rng, s) for s in sentences)
    if rng.random() < 0.15:
        body = body.lower()
    parts = []
    if rng.random() < 0.6:
        parts.append(rng.choice(GREETINGS[lang]))
    parts.append(body)
    if rng.random() < 0.55:
        closing = _fill(rng, rng.choice(CLOSINGS[lang]))
        sign = rng.choice(NAMES)
        if rng.random() < 0.4:
            sign += "\n" + rng.choice(TITLES_OF) + "\n" + rng.choice(SLOTS["place"]).capitalize()
        parts.append(f"{closing}\n{sign}")
    if rng.random() < 0.12:
        parts.append(rng.choice(TAILS))
    description = "\n\n".join(parts)
    if rng.random() < 0.1:  # some write only the title
        description = title
    rate = rng.choice((0.0, 0.0, 0.02, 0.05, 0.1))
    return _typos(rng, title, rate / 2)[:200], _typos(rng, description, rate)


# Pairs of queues a real ticket is often genuinely about both of.
CONFUSABLE = (
    ("passord", "helse_feil"), ("passord", "skole_system"), ("mfa", "mobil"),
    ("tap", "mobil"), ("phishing", "office"), ("vpn", "pc_treg"), ("ny_bruker", "ny_pc"),
    ("arkiv", "svarut"), ("skriver", "wifi"), ("lonn", "passord"), ("office", "wifi"),
    ("elevutstyr", "skole_system"), ("ny_bruker", "arkiv"), ("generelt", "pc_treg"),
    ("helse_feil", "pc_treg"), ("faktura", "arkiv"), ("sentralbord", "mobil"),
)  # fmt: skip


def generate(
    n: int,
    seed: int,
    *,
    held_out: bool = False,
    ambiguous_share: float = 0.1,
    label_noise: float = 0.0,
) -> Iterator[Sample]:
    """``n`` tickets from ``seed``; ``ambiguous_share`` of them about two intents;
    ``label_noise`` of them resolved in a wrong queue (as real desks sometimes do)."""
    rng = random.Random(seed)  # reproducible data, not a secret  # nosec B311
    by_key = {i.key: i for i in INTENTS}
    # Queues are not equally busy: the workplace queue gets most, telephony fewest.
    weights = [
        {"ARBEIDSPLASS": 3.0, "TILGANG": 2.0, "HELSE": 1.5, "SKOLE": 1.5}.get(i.queue, 1.0)
        / sum(1 for j in INTENTS if j.queue == i.queue)
        for i in INTENTS
    ]
    for _ in range(n):
        lang = _language(rng)
        if rng.random() < ambiguous_share:
            a, b = rng.choice(CONFUSABLE)
            if rng.random() < 0.5:
                a, b = b, a
            intents = [by_key[a], by_key[b]]
        else:
            intents = rng.choices(INTENTS, weights=weights, k=1)
        title, description = _ticket_text(rng, intents, lang, held_out)
        main = intents[0]
        queue = main.queue
        if label_noise and rng.random() < label_noise:
            queue = rng.choice(QUEUES)[0]
        yield Sample(
            title=title,
            description=description,
            queue=queue,
            category=main.category,
            service_code=main.service,
            language=lang,
            ambiguous=len(intents) > 1,
            intent=main.key,
            also=intents[1].queue if len(intents) > 1 else None,
        )
