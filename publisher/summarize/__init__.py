"""The summarizer stage: a pure function of one article (or one clean text).

``summarize`` picks the summary sentences (``summary``), the candidate keyword terms
(``keywords``) and the story fingerprint (``stories``); sentence splitting and the judgement
of junk sentences and bad openings live in ``sentences``. Keywords are chosen across the
corpus (``choose_keywords``) and stories grouped across it (``group_stories``) by the build,
which owns the counts those need; ``topics`` chooses the keywords readers can follow.
"""

from .keywords import choose_keywords
from .sentences import split_sentences
from .stories import STORY_THRESHOLD, group_stories
from .summary import summarize, summarize_text
from .topics import choose_topics, topic_of

__all__ = [
    "STORY_THRESHOLD",
    "choose_keywords",
    "choose_topics",
    "group_stories",
    "split_sentences",
    "summarize",
    "summarize_text",
    "topic_of",
]
