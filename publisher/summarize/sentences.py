"""Sentence splitting and the sentence-level judgements the summarizer relies on.

Pure Python, rule based: a sentence ends at ``.``, ``!``, ``?`` or ``…`` (plus any closing
quotes or brackets) followed by white space and something that can start a sentence, unless
the word before the full stop is a known abbreviation or an initial. Decimals and prices
never split because their full stop is not followed by white space.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate, repeat
from typing import NamedTuple


def word_set(words: str) -> frozenset[str]:
    """A frozenset from a white-space separated word list (keeps the data tables readable)."""
    return frozenset(words.split())


# Abbreviations that are followed by a name or a number and never end a sentence in news
# copy, e.g. "Mr. Smith", "Dr. Who", "St. Louis", "Gen. Milley", "vs. Chelsea", "e.g. this",
# "No. 10"; and in French, German and Spanish copy "Mme. Dupont", "Nr. 5", "3 Mio. Euro",
# "z. B.", "Sra. López".
NEVER_FINAL_ABBREVIATIONS = word_set(
    """mr mrs ms messrs dr prof rev fr sr st mt ft gen lt col maj capt cmdr sgt cpl adm gov
    sen rep pres supt insp det hon amb atty vs v e.g i.e cf viz approx dept est fig no nos
    vol vols pp art ch sec jan feb mar apr jun jul aug sep sept oct nov dec
    mme mlle mgr env nr ca mio mrd bzw vgl sog inkl zzgl ggf evtl z.b u.a d.h sra srta
    dña núm pág str"""
)

# Abbreviations that often sit inside a sentence but can also end one, e.g. "the U.S. Navy"
# versus "moved to the U.S. He said ...", "10 a.m. on Monday" versus "at 10 a.m. The", "Jr.",
# "the ID. Buzz van" versus "showed his ID. The guard", "EE.UU." in Spanish.
# They end the sentence only when the next word is a typical sentence opener (see below).
MAYBE_FINAL_ABBREVIATIONS = word_set(
    "u.s u.k u.n e.u a.m p.m etc inc ltd co corp plc bros jr llc d.c id usw ee.uu"
)

# Capitalised words that usually open a sentence rather than continue a name; used after a
# MAYBE_FINAL abbreviation: "arrived in the U.S. The visit ..." splits, "U.S. Army" does not.
SENTENCE_OPENERS = word_set(
    """the a an he she it they we i you his her its their our this that these those there
    but and however in on at for after before when while as if so yet also meanwhile
    then now some many most all no one two three
    le la les un une il elle ils elles ce cette mais et dans pour selon
    der die das ein eine er sie es aber und doch
    el los las una él ella pero"""
)

# A candidate end of sentence: terminal punctuation, closing quotes/brackets, white space,
# then what may start the next sentence: a capital (any script), a digit, an opening quote
# or bracket, or a character from a script without case (e.g. Arabic, CJK); so not "e.g.
# the" or "... and then". Example: '"I\'m leaving." He left.' matches at '." ' -> split
# after the closing quote. The first stop is spelled out (not "+") as then re scans for it
# fast, without trying to match at every character.
_STOP = "[.!?…。！？]"
_CAN_START = r"""["'“‘(\[¿¡]*(?:[^\W\d_a-z]|\d)"""
_BOUNDARY = re.compile(rf"""({_STOP}{_STOP}*)(["'”’»)\]」]*)\s+(?={_CAN_START})""")
# CJK full stops need no following space: "今天下雨。明天晴。" -> two sentences.
_CJK_BOUNDARY = re.compile(r"([。！？」]+)(?=\S)")
_CJK_STOPS = "。！？」"  # tested with `in` first: most text has none, and that test is cheap
# What may precede the word before a full stop: "U.S" in "(the U.S." or "J" in "J. K.".
_BEFORE_WORD = re.compile(r"""[ (\["'“‘]""")
_NEXT_WORD = re.compile(r"""["'“‘(\[]*(\w+)""")
_DOTTED = re.compile(r"(?:\w\.)+\w")  # "u.s", "e.g": initials run together
OPENING_QUOTES = ('"', "“", "«", "„")
_QUOTE_MARKS = ('"', "“", "”", "«", "»", "„")
_STARTS_QUOTING = re.compile(r"\s*[\"“«„]")
_QUOTE_MARK = re.compile('["“”«»„]')
_PARAGRAPHS = re.compile(r"\n\s*\n")
# The longest quotation kept in one sentence: past that, a stray or missing quote mark would
# run sentences together.
QUOTATION_WORDS = 60


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences, in order, with white space normalised.

    Paragraphs (separated by blank lines) never share a sentence. Handles abbreviations
    ("Mr.", "U.S.", "a.m.", "No. 1", "e.g."), initials ("J. K. Rowling"), decimals and
    prices ("$3.5 million", "2.5%") and closing quotes ('"I'm leaving." He left.' is two
    sentences).
    """
    return [sentence for paragraph in split_paragraphs(text) for sentence in paragraph.sentences]


class Paragraph(NamedTuple):
    """One paragraph of a text, split."""

    words: list[str]  # white-space separated chunks, each cut after any CJK full stop
    sentences: list[str]  # some of the words in order joined by single spaces, using them up
    written: int  # white-space separated words as written
    # Its last sentence is a quotation that runs on into the next paragraph, as news style
    # writes one: no closing mark here, an opening mark at the next paragraph's start.
    runs_on: bool
    quoted: bool  # it holds a quotation mark


def split_paragraphs(text: str) -> list[Paragraph]:
    """Split ``text`` into paragraphs (see ``Paragraph``), each split into sentences as
    ``split_sentences`` does."""
    chunks = [chunk for chunk in _PARAGRAPHS.split(text) if not chunk.isspace() and chunk]
    paragraphs: list[Paragraph] = []
    for index, paragraph in enumerate(chunks):
        words = paragraph.split()  # str.split() and re's \s agree on white space
        written = len(words)
        flat = " ".join(words)
        if not flat.isascii() and any(map(flat.__contains__, _CJK_STOPS)):
            flat = _CJK_BOUNDARY.sub(r"\1 ", flat)
            words = flat.split()
        quoted = any(map(flat.__contains__, _QUOTE_MARKS))
        runs_on = (
            quoted
            and index + 1 < len(chunks)
            and bool(_STARTS_QUOTING.match(chunks[index + 1]))
            and bool(_open_quotation(flat, 0, len(flat)))
        )
        paragraphs.append(Paragraph(words, _split_flat(flat, runs_on), written, runs_on, quoted))
    return paragraphs


def _split_flat(text: str, runs_on: bool) -> list[str]:
    """Split one non-empty paragraph whose white space is single spaces between words (so
    its sentences need no stripping); ``runs_on``: its last quotation is left open, as it
    goes on in the next paragraph."""
    out: list[str] = []
    start = 0
    quoted = '"' in text or "“" in text  # most paragraphs quote no one: skip the counting
    for match in _BOUNDARY.finditer(text):
        rest = match.end()
        if _is_boundary(text, start, match.start(), match.group(1), rest) and not (
            quoted and _inside_quotation(text, start, match.end(2), rest, runs_on)
        ):
            out.append(text[start : match.end(2)])
            start = rest
    out.append(text[start:])  # not empty: a boundary is followed by text
    return out


def _open_quotation(text: str, start: int, end: int) -> str:
    """The closing mark that ``text[start:end]`` leaves wanted, or "" when its quotation
    marks balance."""
    if text.count('"', start, end) % 2:
        return '"'
    if text.count("“", start, end) > text.count("”", start, end):
        return "”"
    return ""


def quotation_fragments(sentences: Sequence[str], runs_on: bool = False) -> list[bool]:
    """For the sentences of one paragraph, whether each is the middle of a quotation cut
    into sentences (too long to keep whole): it has no quotation mark of its own, a sentence
    before it ends inside an opened quotation, and one after it starts by closing it (or the
    paragraph ``runs_on``). Such a sentence reads as the writer's own words, with no
    speaker."""
    inside = [False] * len(sentences)
    if not any('"' in sentence or "“" in sentence for sentence in sentences):
        return inside
    opened: int | None = None  # the sentence that ends inside a quotation
    for index, sentence in enumerate(sentences):
        if not any(map(sentence.__contains__, _QUOTE_MARKS)):
            continue
        if opened is not None and _starts_closing(sentence):
            inside[opened + 1 : index] = [True] * (index - opened - 1)
        opened = index if _ends_opening(sentence) else None
    if opened is not None and runs_on:
        inside[opened + 1 :] = [True] * (len(sentences) - opened - 1)
    return inside


def _ends_opening(sentence: str) -> bool:
    """Whether the last quotation mark of ``sentence`` opens a quotation: '… he said: "We'."""
    at = max(map(sentence.rfind, _QUOTE_MARKS))
    if sentence[at] != '"':
        return sentence[at] in "“«„"
    return sentence[at + 1 : at + 2].isalnum() and not sentence[at - 1 : at].isalnum()


def _starts_closing(sentence: str) -> bool:
    """Whether the first quotation mark of ``sentence`` closes one: 'We left," he said.'."""
    at = min(index for index in map(sentence.find, _QUOTE_MARKS) if index >= 0)
    if sentence[at] != '"':
        return sentence[at] in "”»"
    return at > 0 and not sentence[at - 1].isspace() and not sentence[at + 1 : at + 2].isalnum()


def _inside_quotation(text: str, start: int, end: int, rest: int, runs_on: bool) -> bool:
    """Whether ``text[start:end]`` opens a quotation that closes later in the paragraph (or
    runs on past its end, when ``runs_on``), within QUOTATION_WORDS words: '"He is well. He
    was released," she said.' quotes two sentences, and either half alone would read as a
    broken quote."""
    mark = _open_quotation(text, start, end)
    if not mark:
        return False
    close = text.find(mark, rest)
    if close < 0 and runs_on:
        close = len(text)
    return close >= 0 and text.count(" ", start, close) < QUOTATION_WORDS


def _is_boundary(text: str, start: int, stop_at: int, stop: str, rest: int) -> bool:
    """Decide whether the sentence ``text[start:stop_at]`` ends with ``stop``, given that the
    text from ``rest`` on may start a sentence. Positions rather than slices keep long
    paragraphs linear."""
    if stop != ".":
        return True
    # The word before the full stop starts after the last space, bracket or opening quote.
    word = text[text.rfind(" ", start, stop_at) + 1 or start : stop_at]
    # Most words are plain letters, which spares them the regular expressions.
    if not word.isalnum() and _BEFORE_WORD.search(word):
        word = _BEFORE_WORD.split(word)[-1]  # "(U.S" -> "U.S"
    word = word.rstrip(".").lower()
    if len(word) == 1 and word.isalpha():
        return False  # an initial: "J. K. Rowling", "George W. Bush"
    if word in NEVER_FINAL_ABBREVIATIONS:
        return False
    if word in MAYBE_FINAL_ABBREVIATIONS or ("." in word and _DOTTED.fullmatch(word)):
        next_word = _NEXT_WORD.match(text, rest)
        return bool(next_word and next_word.group(1).lower() in SENTENCE_OPENERS)
    return True


# --- Sentence judgements -------------------------------------------------------------------

# Verbs of saying that end a label before a colon in a sentence that quotes, not captions:
# "Police Scotland said: the road is closed."
_SAYING = (
    "said|says|say|told|tells|added|adds|wrote|writes|tweeted|posted|explained|stated|noted|"
    "claimed|announced|declared|warned|insisted|asked|replied|answered|concluded|continued|"
    "stressed|urged|argued|commented|recalled|responded|confirmed|revealed|admitted|reads?|"
    "déclaré|dit|ajouté|expliqué|affirmé|estimé|indiqué|précisé|annoncé|souligné|écrit|"
    "sagte|sagt|erklärte|betonte|schrieb|dijo|afirmó|añadió|explicó|aseguró|señaló|escribió"
)
# A clock time with its zone: "08:51 EST".
_TIME_ZONE = r"\b\d{1,2}:\d{2}\s*(?:EST|EDT|GMT|BST|UTC|CET|ET|PT)\b"
# Sentences that are page furniture rather than news, each with examples it removes.
JUNK_PATTERNS = (
    # Byline, the whole sentence: "By John Smith, Reuters", "By Daily Mail Reporter".
    r"(?-i:^By\s+(?:[A-Z][\w'’.-]*\s*){1,4}(?:(?:and|&)\s+(?:[A-Z][\w'’.-]*\s*){1,4})?"
    r"(?:[,|–—-]\s*(?:[A-Z][\w'’.-]*\s*)+)?\.?$)",
    # Photo credits and captions: "Photo: AP", "Image copyright Getty", "(Getty Images)".
    r"\b(?:photo|picture|image|photograph|video|credit)s?\s*(?::|copyright|caption)"
    r"|\bGetty Images\b|\((?:[^()]*/)?(?:AFP|AP|Reuters|EPA|PA|Getty|Shutterstock)\)",
    # Calls to action: "Scroll down for video", "Read more: ...", "Click here to subscribe",
    # "Lire aussi", "Lesen Sie auch", "Lea también".
    r"\b(?:scroll down|read more|click here|sign up|subscribe (?:to|now)|follow us"
    r"|share this|continue reading|watch the video|related articles?:|also read|lire aussi"
    r"|voir aussi|lesen sie auch|mehr zum thema|lea tambi[eé]n|puede interesar)\b",
    # The page's time stamps: "PUBLISHED: 08:51 EST, 5 June 2013", "Last updated at 14:02
    # GMT", a time and zone that open the sentence or come with a date. Not a time in the
    # news: "The warning begins at 22:00 GMT on Saturday."
    r"\b(?:published|updated)\s*(?:at|on)?\s*:|\b(?:published|updated|posted)\b.{0,25}?\d{1,2}:\d{2}"
    rf"|^\W*{_TIME_ZONE}|{_TIME_ZONE},?\s+\d{{1,2}}\s+[A-Z][a-z]+\s+\d{{4}}\b",
    # Contact details and links: "info@example.org", "https://example.org/x", "www.bbc.co.uk".
    r"https?://|\bwww\.|\S@\S+\.\w",
)
# Labelled captions and promos: "Lurking: Jeremy Corbyn in the Commons", "Watch: the goal",
# "In pictures: Mumbai", "VIDÉO : ...": a label of at most three words and a colon, then no
# quotation (as 'He went on: "We..."' introduces) and no verb of saying in the label ("Police
# Scotland said: the road is closed"). The colon comes within LABEL_CHARS characters.
_LABEL = re.compile(
    rf"(?=[A-Z][\w'’-]*(?: [\w'’-]+){{0,2}} ?: +(?![\"“«„'‘]))(?![^:]*\b(?i:{_SAYING})\b)"
)
LABEL_CHARS = 40
# Each pattern with what its matches contain, lowercased, unless the text holds one of
# _FOLDS_TO_ASCII (case-insensitive matching is more than lower() there: "ſ" matches "s");
# the byline is anchored at the start, so trying it is cheap anyway. Most sentences that get
# past the hints below only hold the ":" of a quotation or an aside in brackets, and need
# not be searched for links or credits; a credit in brackets ends with the agency's name.
_JUNK_RULES = tuple(
    zip(
        (re.compile(pattern, re.IGNORECASE) for pattern in JUNK_PATTERNS),
        (
            (),
            ("photo", "picture", "image", "video", "credit", "getty images", "afp)", "ap)",
             "reuters)", "epa)", "pa)", "getty)", "shutterstock)"),
            ("scroll down", "read more", "click here", "sign up", "subscribe", "follow us",
             "share this", "continue reading", "watch the video", "related article",
             "also read", "lire aussi", "voir aussi", "lesen sie auch", "mehr zum thema",
             "lea tambi", "puede interesar"),
            (":",),
            ("://", "www.", "@"),
        ),
        strict=True,
    )
)  # fmt: skip
# The only characters outside ASCII that re.IGNORECASE matches to ASCII letters: "İ", "ı",
# "ſ" and the Kelvin sign. Other text (curly quotes, accents) can use the lists above.
_FOLDS_TO_ASCII = "\u0130\u0131\u017f\u212a"
# Every match of a pattern above (bar the byline, which starts with "By") contains one of
# these, so checking them first spares most sentences the slower regex search.
_JUNK_HINTS = (
    ":", "(", "copyright", "caption", "getty", "scroll down", "read more", "click here",
    "sign up", "subscribe", "follow us", "share this", "continue reading", "watch the video",
    "related", "also read", "lire aussi", "voir aussi", "lesen sie auch", "mehr zum thema",
    "lea tambi", "puede interesar", "www.", "@",
)  # fmt: skip

# A dateline in front of the first sentence, dropped before use: "LONDON (Reuters) - Shares
# fell." -> "Shares fell."; "(CNN) -- The" -> "The". Archived wire copy often lost the dash
# ("WASHINGTON (AP) The"), or the space too ("Tokyo (CNN)Police"); without the dash, a
# place in mixed case needs the agency glued on, as "Google (GOOG) Chief" is no dateline.
_AGENCY = r"\([A-Z][\w .&]{1,25}\)"
_CAPITALS_PLACE = r"[A-Z][A-Z.'’-]+(?:[ ,]+[A-Z][A-Z.'’-]+){0,3}\s*"
_PLACE = r"[A-Z][\w.'’-]*(?:[ ,]+[A-Z][\w.'’-]*){0,3}"
# The day of the wire services' datelines: "New Delhi, Jul 27 (PTI) The", "Mumbai, Aug. 3".
_DAY = r",?\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}\s*"
DATELINE = re.compile(
    rf"""^(?:(?:[A-Z][A-Z.'’-]+(?:[ ,]+[A-Z][A-Za-z.'’-]+){{0,3}}\s*)?(?:{_AGENCY})?"""
    r"""\s*(?:--|[-–—])\s+"""
    rf"""|(?:{_PLACE}\s*)?{_AGENCY}"""
    rf"""|(?:{_CAPITALS_PLACE})?{_AGENCY}\s+"""
    rf"""|{_PLACE}{_DAY}{_AGENCY}\s*)(?=[A-Z"“‘'])"""
)

# A sentence that ends properly: "... said." / "... he asked?" / '... leave."' ; a heading or
# a caption such as "Russian concern" or "Delawar in Moscow.AFP" does not. That is a stop
# followed by closing quotes or brackets only (and maybe a line break, as "$" allows in re).
_FINAL_STOPS = tuple(".!?…。！？")
_CLOSERS = "\"'”’»)]」"
# Clause boundaries where an overlong sentence may be cut: after "," ";" ":" or before a dash.
_CLAUSE_END = re.compile(r"[,;:]$")
_DASHES = word_set("- – — --")

MIN_WORDS = 5  # shorter "sentences" are fragments, captions or headings

# Two texts run together where a break was lost, a caption or a link glued to the story:
# "in the media.The minister", "un mot de trop"Le protocole", "jusqu'à quand ?par franceinfo".
# Abbreviations do not match: "U.S.Army" has one letter before its full stops.
# One character class first, the rest in lookbehinds, so that the search skips text fast.
_GLUED = re.compile(
    r"""[.!?"”](?:(?<=[^\W\d_][^\W\d_][.!?])["”»]{0,2}[A-Z][a-z]|(?<=[^\W\d_]["”])[A-Z]"""
    r"""|(?<=[?!])[^\W\d_]{2})"""
)


def strip_dateline(sentence: str) -> str:
    """Drop a leading dateline ("LONDON (Reuters) - ") from ``sentence``."""
    return DATELINE.sub("", sentence, count=1)


def is_junk(sentence: str) -> bool:
    """True for sentences a summary must never contain (furniture, fragments, broken quotes,
    texts glued together)."""
    # Splitting stops once there are enough words to tell.
    words = len(sentence.split(maxsplit=MIN_WORDS - 1))
    return _is_junk(sentence, words, _JUNK_HINTS) or is_glued(sentence)


def is_glued(sentence: str) -> bool:
    """True when ``sentence`` runs two texts together where a break was lost: a sentence
    ``junk_flags`` passes but a summary must not use either (judged apart, as few sentences
    get that far)."""
    return bool(_GLUED.search(sentence))


def junk_flags(
    sentences: Sequence[str], words: Iterable[int], runs_on: Iterable[bool] | None = None
) -> list[bool]:
    """``is_junk`` of each of ``sentences``, given their numbers of white-space separated
    words; cheaper than one at a time, as the hints are looked for once in all of them.
    ``runs_on`` tells the sentences whose quotation goes on in the next paragraph (see
    ``Paragraph``): an opening mark left unclosed is no broken quote there."""
    joined = "\n".join(sentences)
    # A hint in one sentence's lowercase is in that of all of them joined (hints are ASCII).
    lower = joined.lower()
    hints = tuple(filter(lower.__contains__, _JUNK_HINTS))
    held: list[tuple[str, ...]] = [()] * len(sentences)  # the hints each sentence may hold
    if len(lower) == len(joined):
        # Every character kept its place, so each hint found is in the sentence there.
        starts = list(accumulate((len(sentence) + 1 for sentence in sentences), initial=0))
        for hint in hints:
            at = lower.find(hint)
            while at >= 0:
                index = bisect_right(starts, at) - 1
                held[index] = hints
                at = lower.find(hint, starts[index + 1])  # on to the next sentence
    else:
        held = [hints] * len(sentences)  # "İ" lowercases to two characters: no positions
    flags = list(map(_is_junk, sentences, words, held, runs_on or repeat(False)))
    # A full stop set apart by a space was added by a tool to a line that had none: a
    # caption, a heading or a byline. Unless the whole text is tokenised that way.
    added = [sentence.endswith(" .") for sentence in sentences]
    if 0 < 2 * sum(added) < len(sentences):
        flags = [junk or stop for junk, stop in zip(flags, added, strict=True)]
    return flags


def _is_junk(sentence: str, words: int, hints: tuple[str, ...], runs_on: bool = False) -> bool:
    """``is_junk``, given the sentence's number of words (or at least MIN_WORDS), the
    furniture hints it may hold and whether its quotation runs on into the next paragraph."""
    # Testing the end with string methods spares a regex search through the whole sentence.
    if words < MIN_WORDS or not sentence.removesuffix("\n").rstrip(_CLOSERS).endswith(_FINAL_STOPS):
        return True
    # Half of a quotation split across sentences reads as broken; one that runs on into the
    # next paragraph is news style, but only if a mark was left open, not closed.
    if (sentence.count('"') % 2 or sentence.count("“") != sentence.count("”")) and (
        not runs_on or sentence.count("”") > sentence.count("“")
    ):
        return True
    byline = sentence.startswith("By")
    if sentence.find(":", 0, LABEL_CHARS) >= 0 and _LABEL.match(sentence):
        return True
    if not hints and not byline:
        return False
    lower = sentence.lower()
    # map() over the bound __contains__ runs these tests in C, with no generator frame.
    if not byline and not any(map(lower.__contains__, hints)):
        return False
    unknown_case = not sentence.isascii() and any(map(sentence.__contains__, _FOLDS_TO_ASCII))
    return any(
        (not needs or unknown_case or any(map(lower.__contains__, needs)))
        and pattern.search(sentence)
        for pattern, needs in _JUNK_RULES
    )


def cut_to_words(sentence: str, limit: int) -> str:
    """Shorten ``sentence`` to at most ``limit`` words, at the last clause boundary if there
    is one in the second half of the budget, and mark the cut with an ellipsis."""
    words = sentence.split()
    if len(words) <= limit:
        return sentence
    cut = limit
    for index in range(limit - 1, limit // 2 - 1, -1):
        before_dash = index + 1 < len(words) and words[index + 1] in _DASHES
        if _CLAUSE_END.search(words[index]) or before_dash:
            cut = index + 1
            break
    kept = words[:cut]
    kept[-1] = kept[-1].rstrip(",;:—–-") + "…"
    return " ".join(kept)
