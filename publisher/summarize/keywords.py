"""Keyword terms: the content words and phrases of an article, ranked by salience, and the
keywords chosen among them across the corpus by TF-IDF.

One pass over an article's white-space separated chunks finds every text's content words,
bigrams (adjacent content words, no punctuation or stopword between) and names (capitalised
words inside a sentence); a chunk is analysed once and remembered (``_ChunkTable``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain, pairwise
from operator import itemgetter
from typing import NamedTuple

from .sentences import word_set

MAX_TERMS = 30
TITLE_TERM_BONUS = 2  # a title occurrence counts this much extra when ranking terms
NAME_TERM_BONUS = 1  # and so does a capitalised word inside a sentence: names tell stories apart
MIN_BIGRAM_COUNT = 2  # a bigram seen once is a phrase, not a topic


# Function words of the languages we meet most, so terms stay topical in each of them.
STOPWORDS = word_set(
    """a about above across after again against ago all almost along already also although
    always am among an and another any anyone anything are around as at away back be became
    because become been before being below between both but by came can cannot could did do
    does doing done down during each either else even ever every few first for from further
    get gets getting go going got had has have having he her here hers herself him himself his
    how however i if in into is it its itself just last least less like made make makes many
    may me might more most much must my myself near need never new next no nor not now of off
    often on once one only onto or other others our ours out over own per put rather said same
    say says see seen she should since so some still such take than that the their theirs them
    themselves then there these they this those though three through thus to told too took
    toward two under until up upon us use used very via was way we well were what when where
    whether which while who whom whose why will with within without would year years yet you
    your mr mrs ms dr also according week weeks month months today yesterday tomorrow time
    der die das den dem des ein eine einer eines und oder aber nicht ist sind war wurde mit von
    zu im auf für bei aus nach wie auch sich dass es er sie wir ihr le la les un une des du et
    ou mais pas est sont été avec pour dans sur par au aux ce cette qui que il elle nous vous
    el los las una unos unas y o pero no es son fue con por para en del al lo se su sus que
    il lo gli uno e ma non è sono con per nel della di da o os um uma e não são com para em"""
)

# A word, or "" for a run of punctuation (which ends a phrase). Neither matches white space,
# so the tokens of a text are those of its white-space separated chunks, in order.
_WORD_OR_PUNCTUATION = re.compile(r"(\w+(?:['’]\w+)*)|[^\w\s'’]+")
# The chunk table is emptied when it grows past this many entries, so that a worker's memory
# stays flat however many articles it summarizes (about 300 bytes an entry); the chunks met
# most often are back in it within a few articles.
_TABLE_LIMIT = 50_000


class _Chunk(NamedTuple):
    """What a white-space separated chunk of text ("Moscow,", "Taliban's") contributes."""

    content: tuple[str, ...]  # per token: its content word, or "" (punctuation, stopword)
    names: tuple[str, ...]  # content words of its capitalised tokens ("Moscow" -> "moscow")
    opener: str  # the first of those if the first token is one, else ""


class _ChunkTable(dict[str, _Chunk]):
    """``table[chunk]`` analyses a chunk once and remembers it.

    Chunks repeat a lot across sentences and articles, so looking them up (in C, via
    ``map``) is much cheaper than tokenising, lowercasing and testing every occurrence again.
    """

    def __missing__(self, chunk: str) -> _Chunk:
        if len(self) >= _TABLE_LIMIT:
            self.clear()
        tokens = _WORD_OR_PUNCTUATION.findall(chunk)
        content = tuple(map(_content_word, tokens))
        names = tuple(
            word for raw, word in zip(tokens, content, strict=True) if word and raw[0].isupper()
        )
        opens_with_name = bool(content and content[0] and tokens[0][0].isupper())
        value = self[chunk] = _Chunk(content, names, names[0] if opens_with_name else "")
        return value


def _content_word(raw: str) -> str:
    """The content word of a token, possessive folded ("Taliban's" -> "taliban"), or ""."""
    word = raw.lower()
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    # Short Latin words are mostly noise; other scripts pack more into each letter.
    if word in STOPWORDS or word.isdigit() or (len(word) < 3 and word.isascii()):
        return ""  # punctuation arrives here as "" and stays ""
    return word


_CHUNKS = _ChunkTable()
# Field getters for map(); itemgetter is the fastest way to read a NamedTuple field there.
_CONTENT = itemgetter(0)
_NAMES = itemgetter(1)


class Terms(NamedTuple):
    """The terms of consecutive texts (sentences, headings), from a single pass over their words."""

    words: list[list[str]]  # per text: its content words, lowercase, in order
    bigrams: list[list[str]]  # per text: adjacent content words, no punctuation or stopword between
    names: Counter[str]  # of all texts: how often a word is capitalised inside a text ("Moscow")


def choose_keywords(
    terms: Sequence[tuple[str, int]],
    document_frequency: Mapping[str, int],
    documents: int,
    *,
    count: int = 5,
) -> tuple[str, ...]:
    """Pick up to ``count`` keywords from an article's ``terms`` by TF-IDF.

    ``document_frequency`` maps a term to the number of the ``documents`` articles whose
    terms contain it (missing terms count as 0). The IDF is smoothed, ln((1+N)/(1+df)) + 1,
    so a term every article has still ranks by its count rather than vanishing. A word is
    skipped when a chosen phrase already contains it ("taliban" after "taliban delegation")
    so the categories stay distinct. Ties keep the order of ``terms``.
    """
    scored = sorted(
        enumerate(terms),
        key=lambda item: (-item[1][1] * _idf(item[1][0], document_frequency, documents), item[0]),
    )
    chosen: list[str] = []
    for _, (term, _count) in scored:
        if len(chosen) == count:
            break
        words = set(term.split())
        if any(words <= set(other.split()) or set(other.split()) <= words for other in chosen):
            continue  # the same idea already chosen, as a phrase or as its word
        chosen.append(term)
    return tuple(chosen)


def analyse(chunks: Sequence[str], lengths: Iterable[int]) -> Terms:
    """Content words, bigrams and names of consecutive texts, given as the chunks of all of
    them (each text's ``text.split()``, in order) and each text's number of chunks;
    possessives folded ("taliban's"). One table look-up pass serves all the texts."""
    found = list(map(_CHUNKS.__getitem__, chunks))
    openers = []
    words = []
    bigrams = []
    end = 0
    for length in lengths:
        start, end = end, end + length
        content = list(chain.from_iterable(map(_CONTENT, found[start:end])))
        words.append(list(filter(None, content)))
        # Punctuation or a stopword breaks a phrase: "Kabul, Taliban" is no bigram.
        bigrams.append(
            [f"{first} {second}" for first, second in pairwise(content) if first and second]
        )
        # The first token opens the text, so its capital does not make it a name. It is in
        # the first chunk unless that holds only apostrophes (and so no token at all).
        for first in range(start, end):
            if found[first].content:
                if found[first].opener:
                    openers.append(found[first].opener)
                break
    names = Counter(chain.from_iterable(map(_NAMES, found)))
    names.subtract(openers)  # never below zero: each opener is among the names counted
    return Terms(words, bigrams, names)


def ranked_terms(headline: Terms, texts: Terms) -> tuple[list[str], Counter[str]]:
    """All unigram and bigram terms of the title and the ``texts``, best first, and the count
    of every term.

    Salience = count + TITLE_TERM_BONUS per title occurrence + NAME_TERM_BONUS per
    capitalised occurrence inside a sentence (a name: "Moscow", "Delawar"); ties keep
    first occurrence.
    """
    in_title = Counter(chain(*headline.words, *headline.bigrams))
    # Each text's words, then its bigrams, text after text: one count over every term in text
    # order, so the counter's order is first occurrence.
    in_order = chain.from_iterable(zip(texts.words, texts.bigrams, strict=True))
    counts = Counter(chain(in_title.elements(), chain.from_iterable(in_order)))
    salience = counts.copy()
    for term, count in in_title.items():
        salience[term] += TITLE_TERM_BONUS * count
    for name, count in texts.names.items():
        salience[name] += NAME_TERM_BONUS * count
    # A reversed sort is still stable, so ties keep that first-occurrence order.
    return sorted(counts, key=salience.__getitem__, reverse=True), counts


def _idf(term: str, document_frequency: Mapping[str, int], documents: int) -> float:
    """Smoothed inverse document frequency, as scikit-learn computes it."""
    return math.log((1 + documents) / (1 + document_frequency.get(term, 0))) + 1
