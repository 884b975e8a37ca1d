"""Identities that must never change: an article's id and page name, and the hash that tells
whether two cleaned articles are the same text."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence

from .models import Article


def article_id_for(source_key: str) -> str:
    """A short id from the file's key: the same on every machine and checkout path."""
    return hashlib.sha256(("publisher:" + source_key).encode("utf-8")).hexdigest()[:16]


def slug_for(title: str, article_id: str) -> str:
    """A readable, unique file name: ASCII words of the title plus a piece of the id."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    words = words[:60].rsplit("-", 1)[0] if len(words) > 60 else words
    return f"{words}-{article_id[:6]}" if words else article_id


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
