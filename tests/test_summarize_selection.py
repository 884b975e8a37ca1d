"""How the summarizer fills its budget from the ranking of sentences (docs/quality.md,
"Summary quality")."""

from __future__ import annotations

from publisher.summarize.summary import _choose, _Sentence


def _sentence(position: int, text: str) -> _Sentence:
    content = text.lower().rstrip(".").split()
    return _Sentence(position, text, len(text.split()), content, frozenset(content), True)


def _words(count: int, word: str) -> str:
    return "The " + " ".join(f"{word}{i}" for i in range(count - 2)) + " ended."


LEAD = _sentence(0, "The council approved the school budget on Monday night.")  # 9 words
SECOND = _sentence(1, "Schools will get five percent more money next year.")  # 9 words
LONG = _sentence(2, _words(30, "long"))
QUIP = _sentence(4, "Nobody was surprised.")


def test_a_short_sentence_far_down_the_ranking_does_not_fill_the_last_place() -> None:
    middle = _sentence(3, _words(12, "middle"))
    found = [LEAD, SECOND, LONG, middle, QUIP]
    scores = [1.0, 0.9, 0.8, 0.7, 0.2]
    # The next in the ranking takes the place of a sentence that does not fit...
    assert _choose(found, found, scores, 3, 40, "en") == (LEAD.text, SECOND.text, middle.text)
    # ...but when that one does not fit either, the summary ends rather than reach down the
    # ranking for a sentence chosen only for being short.
    wide = _sentence(3, _words(25, "wide"))
    found = [LEAD, SECOND, LONG, wide, QUIP]
    assert _choose(found, found, scores, 3, 40, "en") == (LEAD.text, SECOND.text)


def test_the_lead_alone_is_still_followed_by_a_sentence_that_fits() -> None:
    wide = _sentence(3, _words(25, "wide"))
    found = [LEAD, LONG, wide, QUIP]
    scores = [1.0, 0.8, 0.7, 0.2]
    assert _choose(found, found, scores, 3, 30, "en") == (LEAD.text, QUIP.text)
