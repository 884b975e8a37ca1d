"""Identities that must never change: an article's id and page name, and the hash that tells
whether two cleaned articles are the same text."""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections.abc import Iterator, Sequence

from .models import Article


def article_id_for(source_key: str) -> str:
    """A short id from the file's key: the same on every machine and checkout path."""
    return hashlib.sha256(("publisher:" + source_key).encode("utf-8")).hexdigest()[:16]


def slug_candidates(title: str, article_id: str) -> Iterator[str]:
    """Page names for an article, best first: ASCII words of the title plus six hex digits
    of the id, then more of the id, then numbered. Two titles that start alike with ids that
    share six digits (1 in 16 million) would collide on the first; the later article takes
    the first name no other article has."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    words = words[:60].rsplit("-", 1)[0] if len(words) > 60 else words
    if not words:
        yield article_id
    else:
        for digits in range(6, len(article_id) + 1, 2):
            yield f"{words}-{article_id[:digits]}"
    base = f"{words}-{article_id}" if words else article_id
    yield from (f"{base}-{n}" for n in itertools.count(2))


def body_hash(article: Article) -> str:
    """The hash of an article's cleaned title and body (see ``text_hash``)."""
    return text_hash(article.title, [block.text for block in article.blocks])


def text_hash(title: str, blocks: Sequence[str]) -> str:
    """The body hash of an article with this title and these block texts (see Article.body):
    of the text with every run of white space made one space, ends stripped."""
    text = " ".join([title, *blocks])
    # The cleaner's texts come with their spaces folded already: splitting them again into
    # words (a list of a thousand strings) cost more than the hash. A printable text holds no
    # white space but the plain space, so these C scans prove the split would change nothing.
    if not text.isprintable() or "  " in text or text[:1] == " " or text[-1:] == " ":
        text = " ".join(text.split())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
