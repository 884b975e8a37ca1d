"""Extractive summaries, keyword terms and story fingerprints, in pure Python.

A summary is a few whole sentences of the article, in article order, chosen like a news
editor would: the lead carries the story, so position dominates; among the rest, sentences
that share the article's vocabulary (centrality) and the title's words win. Page furniture
(bylines, credits, "Read more") never qualifies, near-duplicate sentences are dropped and the
summary never opens with a sentence that points back to text the reader has not seen
("He said ...", "However, ..."): such a sentence is either preceded by the sentence it leans
on or left out (the article's own first sentence leans on nothing but the title, so it may
open with "He", never with "But"). Nothing is rewritten except an overlong single sentence,
cut at a clause boundary with an ellipsis so the word cap always holds.

Signals and weights (each in [0, 1]):
    position    exp(-i / POSITION_DECAY) for the i-th usable sentence: the news lead prior
    centrality  cosine between the sentence's and the article's content-word counts
    title       share of the title's content words that the sentence repeats
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import lru_cache
from itertools import chain, islice, pairwise, repeat
from operator import itemgetter, mul
from typing import NamedTuple

from .models import Article, Summary
from .sentences import (
    cut_to_words,
    is_bad_opening,
    is_junk,
    junk_flags,
    split_paragraphs,
    split_sentences,
    strip_dateline,
    word_set,
)

__all__ = [
    "STORY_THRESHOLD",
    "choose_keywords",
    "group_stories",
    "split_sentences",
    "summarize",
    "summarize_text",
]

# Sentence score weights; position dominates because news puts the story first.
POSITION_WEIGHT = 0.55
CENTRALITY_WEIGHT = 0.30
TITLE_WEIGHT = 0.15
POSITION_DECAY = 3.0  # sentence 0 -> 1.0, sentence 3 -> 0.37, sentence 6 -> 0.14

# Two sentences sharing this much of their content words say the same thing twice.
DUPLICATE_JACCARD = 0.6
DUPLICATE_CONTAINMENT = 0.8

# Words a lead paragraph without final punctuation needs to count as a standfirst.
STANDFIRST_WORDS = 12
WORDS_PER_MINUTE = 230
MAX_TERMS = 30
TITLE_TERM_BONUS = 2  # a title occurrence counts this much extra when ranking terms
NAME_TERM_BONUS = 1  # and so does a capitalised word inside a sentence: names tell stories apart
MIN_BIGRAM_COUNT = 2  # a bigram seen once is a phrase, not a topic

# Story fingerprint: the article's most salient terms. Two reports of one event share their
# names and topic words even when worded differently (seeds 001/002 share 7 of 11 terms);
# articles merely on the same topic share 5 or fewer (all seed and BBC dev pairs).
FINGERPRINT_TERMS = 11
STORY_THRESHOLD = 0.35  # Jaccard of two 11-term sets: 6 shared terms (0.375) is enough

# LSH banding over MinHash values of the fingerprint sets: 32 bands of 2 rows make pairs at
# the threshold candidates with probability 0.95 (0.998 at Jaccard 0.43), then an exact
# Jaccard check decides. Each bucket remembers a few groups only, so work stays linear.
LSH_BANDS = 32
LSH_ROWS = 2
BUCKET_GROUPS = 4
_PRIME = (1 << 61) - 1

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
# The chunk table is emptied when it grows past this many entries, so the memory of a
# long-running daemon stays bounded; a year of news rarely gets there.
_TABLE_LIMIT = 200_000


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


class _Terms(NamedTuple):
    """The terms of consecutive texts (sentences, headings), from a single pass over their words."""

    words: list[list[str]]  # per text: its content words, lowercase, in order
    bigrams: list[list[str]]  # per text: adjacent content words, no punctuation or stopword between
    names: Counter[str]  # of all texts: how often a word is capitalised inside a text ("Moscow")


class _Sentence(NamedTuple):
    index: int  # position in the article, counting every sentence
    text: str
    words: int
    content: list[str]  # content words, in order
    tokens: frozenset[str]  # content words
    usable: bool


def summarize(article: Article, *, sentences: int = 3, words: int = 75) -> Summary:
    """Summarise one article: at most ``sentences`` sentences and ``words`` words.

    Also derives the reading time (at 230 words a minute, at least 1), the candidate keyword
    terms with their counts (best first) and the story fingerprint. Pure and deterministic.
    """
    headings = [block.text.split() for block in article.blocks if block.kind == "heading"]
    found, body, written = _sentences(
        (block.text for block in article.blocks if block.kind != "heading"), headings
    )
    written += sum(map(len, headings))  # the article's word count, without splitting it again
    title = article.title.split()
    headline = _analyse(title, [len(title)])
    ranked, counts = _ranked_terms(headline, body)
    # A bigram seen once is a phrase, not a topic.
    topics = (term for term in ranked if counts[term] >= MIN_BIGRAM_COUNT or " " not in term)
    return Summary(
        sentences=_select(found, headline.words[0], sentences, words),
        reading_minutes=max(1, round(written / WORDS_PER_MINUTE)),
        terms=tuple((term, counts[term]) for term in islice(topics, MAX_TERMS)),
        fingerprint=_fingerprint(ranked),
    )


def summarize_text(text: str, *, sentences: int = 3, words: int = 75) -> tuple[str, ...]:
    """Summarise a clean body (paragraphs separated by blank lines); see ``summarize``."""
    return _select(_sentences([text])[0], [], sentences, words)  # the splitter finds paragraphs


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


def group_stories(
    fingerprints: Sequence[tuple[int, ...]], *, threshold: float = STORY_THRESHOLD
) -> list[int]:
    """For each fingerprint, the index of its story leader: the first item of its group.

    Items whose fingerprints (sets of term hashes) have a Jaccard similarity of at least
    ``threshold`` are near-duplicates; groups are closed under that relation. Candidates come
    from LSH banding, so the work is linear in the number of items. An item with an empty
    fingerprint is always alone.
    """
    parent = list(range(len(fingerprints)))

    def leader(item: int) -> int:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    sets = [frozenset(fingerprint) for fingerprint in fingerprints]
    buckets: dict[tuple[int, ...], list[int]] = {}
    for item, members in enumerate(sets):
        if not members:
            continue
        for key in _band_keys(members):
            bucket = buckets.setdefault(key, [])
            for other in bucket:
                mine, theirs = leader(item), leader(other)
                if mine != theirs and _jaccard(members, sets[other]) >= threshold:
                    parent[max(mine, theirs)] = min(mine, theirs)
            if len(bucket) < BUCKET_GROUPS and all(leader(o) != leader(item) for o in bucket):
                bucket.append(item)
    return [leader(item) for item in range(len(fingerprints))]


def _select(
    found: Sequence[_Sentence], title_words: Sequence[str], limit: int, budget: int
) -> tuple[str, ...]:
    """Choose sentences: best score first, within budget, no duplicates, a clean opening."""
    usable = [sentence for sentence in found if sentence.usable]
    if not usable or limit < 1 or budget < 1:
        return ()
    scores = _scores(usable, title_words)
    chosen: list[_Sentence] = []
    used = 0
    # Best first; a reversed sort is still stable, so ties keep article order.
    for rank in sorted(range(len(usable)), key=scores.__getitem__, reverse=True):
        sentence = usable[rank]
        if len(chosen) >= limit:
            break
        if _repeats(sentence, chosen):
            continue
        group = [sentence]
        previous = found[sentence.index - 1] if sentence.index else None
        # Judged here, as few sentences get this far.
        leans_back = is_bad_opening(sentence.text, first=sentence is usable[0])
        if leans_back and not any(s is previous for s in chosen):
            # It leans on the sentence before: bring that one in too, or leave it out (never
            # rewrite it). So no summary opens with, or jumps to, an unresolved "He"/"But".
            if (
                previous is None
                or not previous.usable
                or is_bad_opening(previous.text, first=previous is usable[0])
            ):
                continue
            if _repeats(previous, chosen):
                continue
            group = [previous, sentence]
        cost = sum(s.words for s in group)
        if len(chosen) + len(group) > limit or used + cost > budget:
            if not chosen and len(group) == 1:
                # The most important sentence alone is too long: keep its first clauses.
                return (cut_to_words(sentence.text, budget),)
            continue
        chosen.extend(group)
        used += cost
    return tuple(s.text for s in sorted(chosen, key=lambda s: s.index))


def _standfirst(text: str) -> str:
    """A lead paragraph without final punctuation, long enough to be the article's standfirst
    (its own one-sentence summary, as decks are printed), given its full stop; other text
    as it is. Shorter unterminated lines stay fragments: kickers, captions, headings."""
    if (
        text[:1].isupper()
        and len(text.split(maxsplit=STANDFIRST_WORDS)) > STANDFIRST_WORDS
        and is_junk(text)
        and not is_junk(text + ".")
    ):
        return text + "."
    return text


def _sentences(
    paragraphs: Iterable[str], headings: Sequence[list[str]] = ()
) -> tuple[list[_Sentence], _Terms, int]:
    """Split paragraphs into sentences and judge each once; find the terms of the headings
    (each given as its words) and then of all the sentences, and count the white-space
    separated words of the paragraphs."""
    texts: list[str] = []
    chunks = list(chain.from_iterable(headings))  # then the words of all the sentences
    written = 0
    opened = False  # seen the first usable sentence
    for paragraph in paragraphs:
        for words, sentences, count in split_paragraphs(paragraph):
            written += count
            if opened:
                texts += sentences
                chunks += words
                continue
            for text in sentences:
                if not opened:
                    # "LONDON (Reuters) - " opens the story, after any byline.
                    text = _standfirst(strip_dateline(text))
                    opened = not is_junk(text)
                texts.append(text)
                chunks += text.split()
    # Sentences are single-spaced, so each has one word more than it has spaces.
    lengths = [text.count(" ") + 1 for text in texts]
    terms = _analyse(chunks, [*map(len, headings), *lengths])
    found = [
        _Sentence(index, text, length, content, frozenset(content), not junk)
        for index, (text, length, content, junk) in enumerate(
            zip(
                texts,
                lengths,
                islice(terms.words, len(headings), None),
                junk_flags(texts, lengths),
                strict=True,
            )
        )
    ]
    return found, terms, written


def _scores(usable: Sequence[_Sentence], title_words: Sequence[str]) -> list[float]:
    """Weighted sum of the position, centrality and title signals of each sentence."""
    contents = [sentence.content for sentence in usable]
    document = Counter(chain.from_iterable(contents))
    document_norm = math.sqrt(_sum_of_squares(document.values())) or 1.0
    # Summing the document count per occurrence is the dot product of the two count vectors
    # (map() keeps the sums in C); a sentence's squared norm is its word count unless a
    # word repeats.
    dots = map(sum, map(map, repeat(document.__getitem__), contents))
    squares = [
        len(sentence.content)
        if len(sentence.content) == len(sentence.tokens)
        else _sum_of_squares(Counter(sentence.content).values())
        for sentence in usable
    ]
    centrality = [
        dot / ((math.sqrt(square) or 1.0) * document_norm)
        for dot, square in zip(dots, squares, strict=True)
    ]
    top = max(centrality) or 1.0
    title = set(title_words)
    return [
        POSITION_WEIGHT * math.exp(-rank / POSITION_DECAY)
        + CENTRALITY_WEIGHT * central / top
        + TITLE_WEIGHT * (len(title & sentence.tokens) / len(title) if title else 0.0)
        for rank, (sentence, central) in enumerate(zip(usable, centrality, strict=True))
    ]


def _sum_of_squares(values: Collection[int]) -> int:
    """The squared norm of a count vector."""
    return sum(map(mul, values, values))


def _repeats(sentence: _Sentence, chosen: Iterable[_Sentence]) -> bool:
    """True when ``sentence`` says what one of ``chosen`` already says."""
    for other in chosen:
        shared = len(sentence.tokens & other.tokens)
        smaller = min(len(sentence.tokens), len(other.tokens)) or 1
        union = len(sentence.tokens | other.tokens) or 1
        if shared / union >= DUPLICATE_JACCARD or shared / smaller >= DUPLICATE_CONTAINMENT:
            return True
    return False


def _analyse(chunks: Sequence[str], lengths: Iterable[int]) -> _Terms:
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
    return _Terms(words, bigrams, names)


def _ranked_terms(headline: _Terms, texts: _Terms) -> tuple[list[str], Counter[str]]:
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


def _fingerprint(ranked: Iterable[str]) -> tuple[int, ...]:
    """Sorted CRC-32 hashes of the most salient unigrams (stable across runs and machines)."""
    salient = islice((term for term in ranked if " " not in term), FINGERPRINT_TERMS)
    return tuple(sorted(zlib.crc32(term.encode("utf-8")) for term in salient))


def _hash_parameters() -> tuple[tuple[int, int], ...]:
    """Fixed (a, b) pairs for the universal hashes (a*x + b) mod 2**61-1 of the MinHash."""
    state = 0x9E3779B97F4A7C15
    pairs = []
    for _ in range(LSH_BANDS * LSH_ROWS):
        state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        a = state % (_PRIME - 1) + 1
        state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        pairs.append((a, state % _PRIME))
    return tuple(pairs)


_HASHES = _hash_parameters()


def _band_keys(members: frozenset[int]) -> list[tuple[int, ...]]:
    """One bucket key per LSH band: the band number and that band's MinHash values."""
    minimums = list(map(min, zip(*map(_hash_values, members), strict=True)))
    return [(band, *minimums[band * LSH_ROWS : (band + 1) * LSH_ROWS]) for band in range(LSH_BANDS)]


@lru_cache(maxsize=4096)  # about 3 KB each: a bounded 12 MB at most
def _hash_values(term: int) -> tuple[int, ...]:
    """Every MinHash function's value for one term hash. Salient terms recur across the
    articles of a window, so each is hashed once rather than once per article."""
    return tuple([(a * term + b) % _PRIME for a, b in _HASHES])


def _idf(term: str, document_frequency: Mapping[str, int], documents: int) -> float:
    """Smoothed inverse document frequency, as scikit-learn computes it."""
    return math.log((1 + documents) / (1 + document_frequency.get(term, 0))) + 1


def _jaccard(first: frozenset[int], second: frozenset[int]) -> float:
    return len(first & second) / len(first | second)
