"""clean_document() and block_key(): one parse gives what clean() and boilerplate_keys() give."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from publisher.clean import MAX_KEY_CHARS, block_key, boilerplate_keys, clean, clean_document
from publisher.models import Article, RawDocument

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
BENCH = Path(os.environ.get("PUBLISHER_BENCH_DIR") or ROOT.parent / "shared" / "bench") / "aeb-dev"
# Every n-th dev page is checked (both tracks): a spread of sites and languages, kept fast.
PAGE_STEP = 6


def make(key: str, text: str, kind: str) -> RawDocument:
    return RawDocument(
        source=key, key=key, group="g", text=text, kind=kind,  # type: ignore[arg-type]
        encoding="utf-8", mtime=1_600_000_000.0, size=len(text), content_hash="0" * 64,
    )  # fmt: skip


def dev_documents() -> list[RawDocument]:
    if not (BENCH / "ground-truth.json").exists():
        return []
    ids = sorted(json.loads((BENCH / "ground-truth.json").read_text("utf-8")))[::PAGE_STEP]
    docs = []
    for page_id in ids:
        raw = gzip.decompress((BENCH / "html" / f"{page_id}.html.gz").read_bytes())
        docs.append(make(f"{page_id}.html", raw.decode("utf-8", "replace"), "html"))
        text = (BENCH / "text" / f"{page_id}.txt").read_text("utf-8")
        docs.append(make(f"{page_id}.txt", text, "text"))
    return docs


STORY = "\n".join(
    f"Paragraph {i} tells what the reporters found when they visited the town on Friday."
    for i in range(4)
)
DOCS = [make(p.name, p.read_text("utf-8"), "text") for p in SEEDS] + dev_documents()
EXTRA = [
    make(
        "bullets.txt",
        f"Headline here\n{STORY}\nIt listed three findings:\n"
        "• A bulleted line\x07 with a bell\n• Another finding of the survey\n"
        f"{STORY.replace('Paragraph', 'Section')}",
        "text",
    ),
    make("broken.html", "<div>" * 10_000 + "<p>deep text here.</p>", "html"),
    make("empty.txt", "  \n ", "text"),
    make("binary.txt", "\x00\x01\x02" * 100, "text"),
]


def known_sets(doc: RawDocument) -> list[frozenset[str]]:
    """No evidence, a third of the document's own keys, and all of them (forces the retry)."""
    own = sorted(boilerplate_keys(doc))
    return [frozenset(), frozenset(own[::3]), frozenset(own)]


@pytest.mark.parametrize("doc", DOCS + EXTRA, ids=lambda d: d.key[:24])
def test_clean_document_is_clean_and_keys(doc: RawDocument) -> None:
    for known in known_sets(doc):
        assert clean_document(doc, known_boilerplate=known) == (
            clean(doc, known_boilerplate=known),
            boilerplate_keys(doc),
        )


@pytest.mark.parametrize("doc", DOCS + EXTRA[:1], ids=lambda d: d.key[:24])
def test_every_block_finds_its_key(doc: RawDocument) -> None:
    article, keys = clean_document(doc)
    assert isinstance(article, Article)
    for block in article.blocks:
        if len(block.text) <= MAX_KEY_CHARS:
            assert block_key(block.text) in keys, block.text


def test_dev_pages_are_checked() -> None:
    if not BENCH.exists():
        pytest.skip("benchmark data not available")
    assert len(DOCS) > len(SEEDS) + 20


def test_known_keys_drop_blocks_through_block_key() -> None:
    doc = EXTRA[0]
    article = clean(doc)
    assert isinstance(article, Article)
    bullet = next(b for b in article.blocks if b.kind == "item")
    assert bullet.text == "A bulleted line with a bell"
    again = clean(doc, known_boilerplate=frozenset({block_key(bullet.text)}))
    assert isinstance(again, Article) and bullet not in again.blocks
