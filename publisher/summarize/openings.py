"""Openings that need context: the words that make a sentence lean on the one before it.

A summary shows a few sentences out of their article. One that opens with "He", "But" or
"C'est", or attributes a quotation to a pronoun ("…, he said."), points back to text the
reader has not seen: it may stand only right after the sentence it leans on. The words that
do this depend on the language, so each of English, French, German and Spanish has its own
table, and the language is told from the article's function words when it is not known.

Only the article's true first sentence may open with a referring word ("He picked up the
nickname Goldenballs…": nothing comes before it, so it points forward to the title and the
story); a connective ("But", "Mais") never opens an article unless text was lost.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .sentences import word_set


@dataclass(frozen=True)
class Openings:
    """One language's words and phrases that make a sentence lean on the one before."""

    referring: frozenset[str]  # pronouns, possessives, demonstratives: "he", "c'est", "sein"
    connective: frozenset[str]  # "but", "however", "mais", "jedoch", "pero"
    phrases: tuple[str, ...]  # multi-word openers, lowercase, each ending in a space
    # Referring words that refer to nothing when these words follow: "Il y a", "Es gibt",
    # and demonstratives before a time ("This week", "Ce mardi", "Esta mañana").
    impersonal: tuple[str, ...]
    demonstrative: frozenset[str]
    times: frozenset[str]
    # A cleft sentence points at its own clause, not back: "C'est à Paris que …", "C'est
    # un nouveau témoignage qui …": the opener, then a relative in its first CLEFT_WORDS.
    cleft: frozenset[str]
    relative: re.Pattern[str] | None
    # Somewhere in the sentence, a quotation or a statement attributed to a pronoun (or, in
    # Spanish, to no named subject at all): '"We will win," he said.', "…, a-t-il dit."
    attribution: re.Pattern[str]
    verbs: frozenset[str]  # verbs of saying: a short sentence built on one is bare


def _phrases(text: str) -> tuple[str, ...]:
    """Comma-separated phrases as prefixes: each must end where a word ends."""
    return tuple(phrase.strip() + " " for phrase in text.split(",") if phrase.strip())


_EN_TIMES = """morning afternoon evening night week weekend month year season summer winter
    spring autumn fall time monday tuesday wednesday thursday friday saturday sunday"""

ENGLISH = Openings(
    referring=word_set(
        """he she they it its his her hers their theirs him them we us our i this these
        those that such there's other another both either neither"""
    ),
    connective=word_set(
        """but however also and or nor so yet still meanwhile moreover furthermore
        additionally besides nevertheless nonetheless instead then thus therefore hence
        consequently otherwise likewise similarly indeed anyway afterwards later"""
    ),
    phrases=_phrases(
        """in addition, as a result, at the same time, on the other hand, for example,
        for instance, by contrast, in contrast, even so, despite this, after that, the latter,
        the former, the same, in turn, as well, according to him, according to her,
        according to them"""
    ),
    impersonal=_phrases("it is understood, it is not clear, it is unclear"),
    demonstrative=word_set("this that these those"),
    times=word_set(_EN_TIMES),
    cleft=frozenset(),
    relative=None,
    # '…, he said.', '" she', "according to him". Every branch starts after one character of
    # a set without case (so "s" is spelled [sSſ], what it matches ignoring case): re then
    # skips to those characters instead of trying every position, about 3x faster.
    attribution=re.compile(
        r"""[,.!?…"”aAsSſ](?:(?<=[,.!?…])["”’]?\s+(?i:he|she|they|it|we)\s+(?i:said|says|"""
        r"""added|adds|told|tells|explained|stated|noted|claimed|insisted|warned|wrote|writes|"""
        r"""continued|recalled|recalls|argued|argues|asked|replied|tweeted)\b"""
        r"""|(?<=["”])\s+(?i:he|she|they|it|we)\b|(?<=\b[aA])(?i:ccording to (?:him|her|them))\b"""
        # "... have little interest in such transactions.": the kind was named before.
        r"""|(?<=\b[sSſ])(?i:uch\s+(?!as\b|an?\b|that\b)[a-z]+s[.!?])["”’]?$)"""
    ),
    verbs=word_set("said says say told tells added adds explained stated noted claimed according"),
)

FRENCH = Openings(
    referring=word_set(
        """il elle ils elles lui leur leurs son sa ses celui celle ceux celles cela ça ceci
        c'est c'était ce cet cette ces s'il s'ils je j nous notre nos mon ma mes"""
    ),
    connective=word_set(
        """mais et ou donc or ni car puis ensuite pourtant cependant toutefois néanmoins
        ainsi aussi alors enfin d'ailleurs sinon certes bref également surtout"""
    ),
    phrases=_phrases(
        """de plus, en outre, par ailleurs, en revanche, par contre, en effet, du coup,
        pour autant, de son côté, de leur côté, quant à, lui aussi, elle aussi, en tout cas,
        malgré tout, à son tour, ce dernier, cette dernière, ces derniers, ces dernières,
        de même, au contraire, selon lui, selon elle, selon eux, d'après lui, d'après elle,
        pour lui, pour elle, à cela, à ce sujet, dans ce cadre, dans ce contexte"""
    ),
    # "Il y a deux ans", "Il faut", "Alors que", "Ce qui compte"
    impersonal=_phrases(
        """il y, il faut, il fait, il pleut, il neige, il reste, alors que, aussi bien,
        ainsi que, en 1, en 2, y compris"""
    ),
    demonstrative=word_set("ce cet cette ces"),
    times=word_set(
        """matin midi soir week-end week samedi dimanche lundi mardi mercredi jeudi vendredi
        jour jours semaine mois année an été hiver printemps automne saison nuit
        après-midi fois"""
    ),
    cleft=word_set("c'est c'était"),
    relative=re.compile(r"\s(?:que|qui|qu['’]\w)", re.IGNORECASE),
    # '"…", a-t-il dit.', "…, estime-t-elle.", "selon lui"; not the question "l'affaire
    # va-t-elle rebondir ?", whose pronoun repeats the subject just before it.
    attribution=re.compile(
        r"""[,"”»]\s*\w+-(?:t-)?(?:il|elle|ils|elles)\b"""
        r"""|\b(?:selon|d'après|d’après) (?:lui|elle|eux)\b""",
        re.IGNORECASE,
    ),
    verbs=word_set(
        """dit déclaré ajouté expliqué affirmé estimé indiqué précisé annoncé souligné
        confié raconté assuré selon"""
    ),
)

GERMAN = Openings(
    referring=word_set(
        """er sie es ihr ihm ihn ihnen sein seine seinen seinem seiner seines ihre ihren
        ihrem ihrer ihres dies diese dieser dieses diesen diesem dabei dafür dagegen daher
        damit danach daneben daraufhin darüber darum dazu dort ich wir unser unsere mein
        meine"""
    ),
    connective=word_set(
        """aber und oder doch jedoch denn sondern also auch dennoch trotzdem allerdings zudem
        außerdem ausserdem deshalb deswegen dann später inzwischen stattdessen ebenfalls
        schließlich somit folglich nämlich immerhin"""
    ),
    phrases=_phrases(
        """das ist, das war, das sei, das hat, das wäre, auch er, auch sie, im gegenteil,
        zum beispiel, laut ihm, laut ihr, nach ihren worten, nach seinen worten"""
    ),
    impersonal=_phrases("es gibt, es gab, es geht los"),
    demonstrative=word_set("dies diese dieser dieses diesen diesem"),
    times=word_set(
        """woche jahr monat morgen abend nacht wochenende sommer winter frühling herbst
        montag dienstag mittwoch donnerstag freitag samstag sonntag saison"""
    ),
    cleft=frozenset(),
    relative=None,
    attribution=re.compile(
        r"""[,"“”„]\s*(?:sagte|sagt|erklärte|erklärt|betonte|betont|meinte|meint|fügte|"""
        r"""ergänzte|schrieb|so)\s+(?:er|sie)\b""",
        re.IGNORECASE,
    ),
    verbs=word_set("sagte sagt erklärte betonte meinte fügte ergänzte laut"),
)

SPANISH = Openings(
    referring=word_set(
        """él ella ellos ellas le les su sus este esta estos estas esto ese esa esos esas eso
        aquel aquella dicho dicha ello yo nosotros nosotras nuestro nuestra mi mis"""
    ),
    connective=word_set(
        """pero y e o u ni sino además también tampoco entonces luego así incluso asimismo
        igualmente mientras aunque"""
    ),
    phrases=_phrases(
        """sin embargo, por eso, por ello, por lo tanto, por tanto, no obstante, en cambio,
        por otra parte, por otro lado, de hecho, a su vez, al respecto, es decir,
        por su parte, en este sentido, en ese sentido, según él, según ella, según ellos"""
    ),
    impersonal=_phrases("así como, mientras tanto, luego de, aunque no"),
    demonstrative=word_set("este esta estos estas ese esa"),
    times=word_set(
        """mañana tarde noche semana fin mes año verano invierno primavera otoño temporada
        lunes martes miércoles jueves viernes sábado domingo"""
    ),
    cleft=frozenset(),
    relative=None,
    # Spanish drops the subject: '"Ganaremos", dijo.' names no one.
    attribution=re.compile(
        r"""[,"”»]\s*(?:dijo|afirmó|añadió|agregó|explicó|aseguró|señaló|indicó|declaró|"""
        r"""comentó|sostuvo|subrayó)(?:\s+(?:él|ella))?\s*[.!?]?["”»]?$"""
        r"""|\bsegún (?:él|ella|ellos|ellas)\b""",
        re.IGNORECASE,
    ),
    verbs=word_set("dijo afirmó añadió agregó explicó aseguró señaló indicó declaró según"),
)

LANGUAGES = {"en": ENGLISH, "fr": FRENCH, "de": GERMAN, "es": SPANISH}

# Function words that tell the four languages apart in a few dozen words of text; shared
# ones ("la", "de") count for both, so only the others decide.
_FUNCTION_WORDS = {
    "en": word_set("the and of to is was that for with on he said it are by this have"),
    "fr": word_set("le les et des du est une dans qui pour pas sur au aux avec ce été il"),
    "de": word_set("der die und das den ist nicht mit ein eine zu von sich auf dem des im"),
    "es": word_set("el los las y del que por con una se para es al su fue como sus"),
}
_FUNCTIONS = tuple(_FUNCTION_WORDS.items())
_ANY_FUNCTION = frozenset().union(*_FUNCTION_WORDS.values())
_LANGUAGE_SAMPLE = 300  # words looked at
CLEFT_WORDS = 12
_WORD = r"(\w+(?:['’]\w+)*)"
# The same words, possessive: a word is maximal, so backtracking never finds another match,
# and the engine is spared recording the places to go back to.
_WORDS = re.compile(r"\w++(?:['’]\w++)*+")
# The first seven words, in one match (a word is maximal, so non-word characters separate
# words): enough to tell a short sentence (six words or fewer) apart.
_FIRST_WORDS = re.compile(r"\W*" + _WORD + (r"(?:\W+" + _WORD + ")?") * 6)
_OPENING_QUOTE = re.compile(r"""^["“‘«„]""")


def guess_language(text: str, declared: str | None = None) -> str:
    """The language whose opening rules apply to ``text``: the one whose function words are
    the commonest in its first few hundred words, else the ``declared`` one (a page's
    ``lang``, "fr-FR" -> "fr") when it has rules, else English."""
    words = _WORDS.findall(text[: _LANGUAGE_SAMPLE * 8].lower())[:_LANGUAGE_SAMPLE]
    # Only the function words are counted (filter() runs in C); then each language's words
    # among the distinct ones found: a few set lookups, not hundreds.
    found = Counter(filter(_ANY_FUNCTION.__contains__, words))
    counts = Counter(
        {
            language: sum(map(found.__getitem__, found.keys() & known))
            for language, known in _FUNCTIONS
        }
    )
    ranked = counts.most_common(2)
    if ranked and ranked[0][1] >= 5 and (len(ranked) == 1 or ranked[0][1] > 1.5 * ranked[1][1]):
        return ranked[0][0]
    base = (declared or "").split("-")[0].split("_")[0].lower()
    return base if base in LANGUAGES else "en"


def is_bad_opening(sentence: str, *, first: bool = False, language: str = "en") -> bool:
    """True when ``sentence`` cannot open a summary: it leans on text the reader lacks.
    ``first``: it is the article's true first sentence, which may open with a referring word
    (never with a connective, nor with a quotation attributed to a pronoun); ``language``: a
    key of ``LANGUAGES``."""
    rules = LANGUAGES.get(language, ENGLISH)
    stripped = sentence.lstrip()
    if not stripped or stripped[0].islower() or stripped[0] in "”’»)-–—,;:":
        return True
    first_words = _FIRST_WORDS.match(stripped)
    if not first_words:
        return True
    words = [word.lower() for word in first_words.groups() if word]
    if "'" in words[0] and words[0] not in rules.referring:
        words[0] = words[0].split("'")[0]  # elided: "J'ai" -> "j", "L'homme" -> "l"
    if rules.attribution.search(stripped):
        return True
    if _OPENING_QUOTE.match(stripped):
        return False
    head = " ".join(words[:4]) + " "
    if head.startswith(rules.impersonal):
        return False
    if words[0] in rules.connective:
        return True
    if words[0] in rules.referring and not first:
        return not _points_forward(stripped, words, rules)
    if head.startswith(rules.phrases):
        return True
    # "He said." / "the magazine added." : too short to carry news of its own.
    return len(words) <= 6 and not rules.verbs.isdisjoint(words)


def _points_forward(sentence: str, words: list[str], rules: Openings) -> bool:
    """Whether a sentence opening with a referring word points at nothing before it: a
    demonstrative before a time ("This week", "Ce mardi"), or a cleft ("C'est à Paris
    que …")."""
    if words[0] in rules.demonstrative and len(words) > 1 and words[1] in rules.times:
        return True
    return (
        words[0] in rules.cleft
        and rules.relative is not None
        and bool(rules.relative.search(" ".join(sentence.split()[2:CLEFT_WORDS])))
    )
