"""Extractive summaries: a few whole sentences of an article, chosen as a news editor would.

A summary is a few whole sentences of the article, in article order, chosen like a news
editor would: the lead carries the story, and a later sentence earns its place when the
rest of the article develops what it says rather than when it repeats what came before
(position-directed centrality, as PacSum); the title's words count too. Page furniture
(bylines, credits, "Read more") never qualifies, near-duplicate sentences are dropped and the
summary never opens with a sentence that points back to text the reader has not seen
("He said ...", "However, ..."): such a sentence is either preceded by the sentence it leans
on or left out (the article's own first sentence leans on nothing but the title, so it may
open with "He", never with "But"). Nothing is rewritten except an overlong single sentence,
cut at a clause boundary with an ellipsis so the word cap always holds.

Signals and weights:
    position    exp(-i / POSITION_DECAY) for the i-th usable sentence: the news lead prior
    centrality  summed cosine similarity (content-word counts) to the sentences after it,
                less EARLIER_WEIGHT times that to the sentences before it; scaled to [0, 1]
                over the article
    title       share of the title's content words that the sentence repeats (the first
                usable sentence's when there is no title)
    quotation   a penalty for a sentence after the first that opens with a quotation
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from itertools import chain, islice, repeat
from operator import mul
from typing import NamedTuple

from ..models import Article, Summary
from .keywords import MAX_TERMS, MIN_BIGRAM_COUNT, Terms, analyse, ranked_terms
from .openings import guess_language, is_bad_opening
from .sentences import (
    OPENING_QUOTES,
    cut_to_words,
    is_glued,
    is_junk,
    junk_flags,
    quotation_fragments,
    split_paragraphs,
    strip_dateline,
)
from .stories import fingerprint

# Sentence score weights. Position is mostly in the directed centrality: a sentence is
# worth what the sentences after it develop, less what it repeats of those before it, so
# the lead scores high and a later sentence only when the story returns to it.
POSITION_WEIGHT = 0.20
CENTRALITY_WEIGHT = 0.75
TITLE_WEIGHT = 0.15
POSITION_DECAY = 3.0  # sentence 0 -> 1.0, sentence 3 -> 0.37, sentence 6 -> 0.14
EARLIER_WEIGHT = 1.0  # similarity to earlier sentences counts this much against
# A direct quotation opening a sentence after the first tells a reaction, not the news.
QUOTATION_PENALTY = 0.05

# Two sentences sharing this much of their content words say the same thing twice.
DUPLICATE_JACCARD = 0.6
DUPLICATE_CONTAINMENT = 0.8

# Words a lead paragraph without final punctuation needs to count as a standfirst.
STANDFIRST_WORDS = 12
WORDS_PER_MINUTE = 230
# Characters of the first paragraphs read to tell the article's language.
LANGUAGE_SAMPLE = 2400
CENTRALITY_DIGITS = 9  # far below any real difference in similarity


class _Sentence(NamedTuple):
    position: int  # in the article, counting every sentence
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
    paragraphs = [block.text for block in article.blocks if block.kind != "heading"]
    found, body, written = _sentences(paragraphs, headings)
    written += sum(map(len, headings))  # the article's word count, without splitting it again
    title = article.title.split()
    headline = analyse(title, [len(title)])
    ranked, counts = ranked_terms(headline, body)
    # A bigram seen once is a phrase, not a topic.
    topics = (term for term in ranked if counts[term] >= MIN_BIGRAM_COUNT or " " not in term)
    return Summary(
        sentences=_select(
            found,
            headline.words[0],
            sentences,
            words,
            guess_language(_sample(paragraphs), article.language),
        ),
        reading_minutes=max(1, round(written / WORDS_PER_MINUTE)),
        terms=tuple((term, counts[term]) for term in islice(topics, MAX_TERMS)),
        fingerprint=fingerprint(ranked),
    )


def summarize_text(
    text: str, *, sentences: int = 3, words: int = 75, language: str | None = None
) -> tuple[str, ...]:
    """Summarise a clean body (paragraphs separated by blank lines); see ``summarize``.
    ``language`` (e.g. "fr") is used when the text's own words do not tell."""
    found = _sentences([text])[0]  # the splitter finds the paragraphs
    return _select(found, [], sentences, words, guess_language(text, language))


def _sample(paragraphs: Sequence[str]) -> str:
    """The first paragraphs, enough of them to tell the language."""
    taken: list[str] = []
    size = 0
    for paragraph in paragraphs:
        taken.append(paragraph)
        size += len(paragraph)
        if size >= LANGUAGE_SAMPLE:
            break
    return "\n".join(taken)


def _select(
    found: Sequence[_Sentence],
    title_words: Sequence[str],
    limit: int,
    budget: int,
    language: str,
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
        if chosen and used + sentence.words > budget:
            continue  # cannot fit, with or without the sentence before it
        if _repeats(sentence, chosen) or is_glued(sentence.text):
            continue
        group = [sentence]
        previous = found[sentence.position - 1] if sentence.position else None
        # Judged here, as few sentences get this far. Only the article's true first sentence
        # may open with "He": after a skipped caption or kicker it would point to that.
        leans_back = is_bad_opening(sentence.text, first=sentence.position == 0, language=language)
        if leans_back and not any(s is previous for s in chosen):
            # It leans on the sentence before: bring that one in too, or leave it out (never
            # rewrite it). So no summary opens with, or jumps to, an unresolved "He"/"But".
            if (
                previous is None
                or not previous.usable
                or is_bad_opening(previous.text, first=previous.position == 0, language=language)
            ):
                continue
            if _repeats(previous, chosen) or is_glued(previous.text):
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
    return tuple(s.text for s in sorted(chosen, key=lambda s: s.position))


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
) -> tuple[list[_Sentence], Terms, int]:
    """Split paragraphs into sentences and judge each once; find the terms of the headings
    (each given as its words) and then of all the sentences, and count the white-space
    separated words of the paragraphs."""
    texts: list[str] = []
    runs_on: set[int] = set()  # sentences whose quotation goes on in the next paragraph
    fragments: set[int] = set()  # sentences in the middle of a cut quotation
    chunks = list(chain.from_iterable(headings))  # then the words of all the sentences
    written = 0
    opened = False  # seen the first usable sentence
    # One text, so that a quotation running on from one block into the next is seen.
    for paragraph in split_paragraphs("\n\n".join(paragraphs)):
        written += paragraph.written
        start = len(texts)
        if opened:
            texts += paragraph.sentences
            chunks += paragraph.words
        else:
            for text in paragraph.sentences:
                if not opened:
                    # "LONDON (Reuters) - " opens the story, after any byline.
                    text = _standfirst(strip_dateline(text))
                    opened = not is_junk(text)
                texts.append(text)
                chunks += text.split()
        if paragraph.runs_on:
            runs_on.add(len(texts) - 1)
        # A cut quotation's middle needs an opening sentence and a closing one (or the end of
        # a paragraph that runs on) around it.
        if paragraph.quoted and len(paragraph.sentences) >= 3 - paragraph.runs_on:
            flags = quotation_fragments(paragraph.sentences, paragraph.runs_on)
            fragments.update(start + index for index, inside in enumerate(flags) if inside)
    # Sentences are single-spaced, so each has one word more than it has spaces.
    lengths = [text.count(" ") + 1 for text in texts]
    terms = analyse(chunks, [*map(len, headings), *lengths])
    junk = junk_flags(
        texts, lengths, map(runs_on.__contains__, range(len(texts))) if runs_on else None
    )
    for index in fragments:
        junk[index] = True
    found = [
        _Sentence(index, text, length, content, frozenset(content), not bad)
        for index, (text, length, content, bad) in enumerate(
            zip(texts, lengths, islice(terms.words, len(headings), None), junk, strict=True)
        )
    ]
    return found, terms, written


def _scores(usable: Sequence[_Sentence], title_words: Sequence[str]) -> list[float]:
    """Weighted sum of the position, directed centrality, title and quotation signals."""
    central = _directed_centrality(usable)
    low = min(central)
    span = (max(central) - low) or 1.0
    # Without a headline, the lead is the best statement of what the story is about.
    title = set(title_words) or set(usable[0].content)
    return [
        POSITION_WEIGHT * math.exp(-rank / POSITION_DECAY)
        + CENTRALITY_WEIGHT * (centrality - low) / span
        + TITLE_WEIGHT * (len(title & sentence.tokens) / len(title) if title else 0.0)
        - (QUOTATION_PENALTY if rank and sentence.text.startswith(OPENING_QUOTES) else 0.0)
        for rank, (sentence, centrality) in enumerate(zip(usable, central, strict=True))
    ]


def _directed_centrality(usable: Sequence[_Sentence]) -> list[float]:
    """Each sentence's summed cosine similarity (of content-word counts) to the sentences
    after it, less EARLIER_WEIGHT times that to the sentences before it (PacSum).

    Linear in the article's length, not quadratic: with each sentence's counts divided by
    its norm, the similarity to the sentences after it is its dot product with their running
    sum, and that to all the others its dot product with the article's sum less itself.
    """
    shares = list(map(_share, usable))
    # Summing a vector once per occurrence of each word is the dot product with the counts
    # (map() keeps the sums in C). Going backwards, ``later`` holds the normalised counts of
    # the sentences after the current one; at the end, those of all of them.
    contents = [sentence.content for sentence in usable]
    later: dict[str, float] = {}
    get = later.get
    zeros = repeat(0.0)
    forward: list[float] = []
    for content, share in zip(reversed(contents), reversed(shares), strict=True):
        forward.append(sum(map(get, content, zeros)) * share)
        for word in content:
            later[word] = get(word, 0.0) + share
    forward.reverse()
    # Similarity to all the others, less itself: 1 for a sentence with content words.
    every = later.__getitem__
    # Rounded: subtracting itself leaves float noise (1e-16) where nothing is shared, which
    # the scaling in _scores would blow up into a full-weight difference between sentences.
    return [
        round(
            ahead - EARLIER_WEIGHT * (sum(map(every, content)) * share - bool(content) - ahead),
            CENTRALITY_DIGITS,
        )
        for content, share, ahead in zip(contents, shares, forward, strict=True)
    ]


def _share(sentence: _Sentence) -> float:
    """One over the norm of the sentence's content-word counts (1 when it has none)."""
    content = sentence.content
    if len(content) == len(sentence.tokens):  # no word repeats: the norm is sqrt(length)
        return 1.0 / math.sqrt(len(content)) if content else 1.0
    return 1.0 / math.sqrt(_sum_of_squares(list(map(content.count, sentence.tokens))))


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
