"""How the summarizer fills its budget from the ranking of sentences (docs/quality.md,
"Summary quality")."""

from __future__ import annotations

from publisher.summarize.summary import _choose, _Sentence


def _sentence(position: int, text: str) -> _Sentence:
    content = text.lower().rstrip(".").split()
    return _Sentence(position, text, len(text.split()), content, frozenset(content), True)


def _words(count: int, word: str) -> str:
    return "The " + " ".join(f"{word}{i}" for i in range(count - 2)) + " ended."


def test_a_short_sentence_far_down_the_ranking_does_not_fill_the_budget() -> None:
    lead = _sentence(0, "The council approved the school budget on Monday night.")  # 9 words
    long = _sentence(1, _words(30, "long"))
    middle = _sentence(2, _words(12, "middle"))
    quip = _sentence(3, "Nobody was surprised.")
    found = [lead, long, middle, quip]
    scores = [1.0, 0.8, 0.6, 0.2]
    # The next in the ranking takes the place of one that does not fit...
    assert _choose(found, found, scores, 3, 30, "en") == (lead.text, middle.text, quip.text)
    # ...but when that one does not fit either, the summary ends rather than reach down the
    # ranking for a sentence chosen only for being short.
    wide = _sentence(2, _words(25, "wide"))
    found = [lead, long, wide, quip]
    assert _choose(found, found, scores, 3, 30, "en") == (lead.text,)
