"""Search over text as people write it (issue 15, items 18 and 19).

NFD-written Norwegian (``a`` + U+030A for ``å``) is found by NFC queries and
the other way round; a comment thread past PostgreSQL's 1 MB tsvector limit
keeps working (what is indexed is capped), instead of every later comment
being a 503 "database down".
"""

from __future__ import annotations

import random
import string
import unicodedata

import pytest

from servicedesk.models import TicketComment

pytestmark = pytest.mark.db

NFC_WORD = "rådhuset"
NFD_WORD = unicodedata.normalize("NFD", NFC_WORD)


def numbers(response):
    assert response.status_code == 200, response.json
    return [t["number"] for t in response.json["items"]]


@pytest.fixture
def agent(create_user):
    return create_user("agent")


def test_the_words_really_differ():
    assert NFD_WORD != NFC_WORD and len(NFD_WORD) == len(NFC_WORD) + 1


@pytest.mark.parametrize("stored", [NFD_WORD, NFC_WORD], ids=["stored NFD", "stored NFC"])
@pytest.mark.parametrize("query", [NFD_WORD, NFC_WORD], ids=["query NFD", "query NFC"])
def test_decomposed_and_composed_words_find_each_other_in_titles(desk, agent, stored, query):
    ticket = desk.ticket(
        desk.create_user("requester", "1505"), title=f"Skriveren på {stored} virker ikke"
    )
    assert numbers(desk.list(agent, q=query)) == [ticket["number"]]


@pytest.mark.parametrize("stored", [NFD_WORD, NFC_WORD], ids=["stored NFD", "stored NFC"])
@pytest.mark.parametrize("query", [NFD_WORD, NFC_WORD], ids=["query NFD", "query NFC"])
def test_decomposed_and_composed_words_find_each_other_in_comments(desk, agent, stored, query):
    requester = desk.create_user("requester", "1505")
    ticket = desk.ticket(requester, title="Skriver")
    assert (
        desk.comment(requester, ticket["id"], f"Den står i 2. etasje på {stored}.").status_code
        == 201
    )
    assert numbers(desk.list(agent, q=query)) == [ticket["number"]]


def _unique_words(rng: random.Random, chars: int) -> str:
    words, size = [], 0
    while size < chars - 12:
        word = "".join(rng.choices(string.ascii_lowercase, k=10))
        words.append(word)
        size += len(word) + 1
    return " ".join(words)


def test_a_comment_thread_past_the_tsvector_limit_keeps_working(desk, agent):
    # PostgreSQL refuses a tsvector whose lexemes pass 1 MB: 1.4 MB of unique
    # ten-letter words in earlier comments (written directly, to keep the test
    # short), then one more comment through the API, which re-indexes the ticket.
    rng = random.Random(15)
    requester = desk.create_user("requester", "1505")
    ticket = desk.ticket(requester, title="Lang tråd")
    for _ in range(70):
        desk.session.add(TicketComment(ticket_id=ticket["id"], body=_unique_words(rng, 19_900)))
    desk.session.commit()
    response = desk.comment(requester, ticket["id"], f"Til slutt: {NFD_WORD}")
    assert response.status_code == 201, response.json
    # The ticket is still found by its title and its early comments.
    assert numbers(desk.list(agent, q="tråd")) == [ticket["number"]]
    assert desk.get(agent, ticket["id"]).status_code == 200
