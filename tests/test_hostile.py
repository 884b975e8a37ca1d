"""Issue 8: hostile HTML in the input never becomes active content in any output."""

from __future__ import annotations

import email
import email.policy
import html
import json
import re
from pathlib import Path

import lxml.html
import pytest
from cli_helpers import build_argv
from lxml import etree

from publisher.cli import main

HOSTILE_PAGE = """<!doctype html><html><head><title>Council Approves Water Plan</title>
<script>alert('HOSTILE-head')</script>
<style>body { background: url(javascript:HOSTILE-style) }</style>
<meta http-equiv="refresh" content="0;url=javascript:alert('HOSTILE-refresh')">
</head><body onload="alert('HOSTILE-onload')">
<article>
<h1 onclick="alert('HOSTILE-h1')">Council Approves Water Plan</h1>
<p>The regional council approved a new water plan on Tuesday after months of debate.
<script>document.write('HOSTILE-inline')</script></p>
<p onmouseover="alert('HOSTILE-p')">The plan sets aside money for three reservoirs and a network
of smaller pipes, <a href="javascript:alert('HOSTILE-link')">officials said</a>.</p>
<p>Farmers had warned that dry summers threatened harvests <img src="x"
onerror="alert('HOSTILE-img')"> across the whole region for years.</p>
<iframe src="https://evil.example/HOSTILE-frame"></iframe>
<svg onload="alert('HOSTILE-svg')"><script>alert('HOSTILE-svgscript')</script></svg>
<p>Officials said construction would begin next spring and take four years,
<a href="data:text/html;base64,SE9TVElMRQ==">see the data</a>.</p>
<object data="HOSTILE-object.swf"></object><embed src="HOSTILE-embed.swf">
<form action="https://evil.example/HOSTILE-form"><input name="q"></form>
</article></body></html>
"""

HOSTILE_TEXT = (
    "Text Articles Can Carry Markup Too\n\n"
    "A scraper kept <script>alert('HOSTILE-text')</script> in the body of this article.\n\n"
    'It also kept <img src=x onerror="alert(1)"> and <a href="javascript:void(0)">a link</a>.\n\n'
    "Readers must see this as harmless text, never as markup that runs in their browser.\n"
)

ACTIVE_TAGS = {"script", "iframe", "frame", "object", "embed", "svg", "form", "applet", "base"}
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")


def _our_own(element: lxml.html.HtmlElement) -> bool:
    """The active elements every archive page has on purpose: its search box (a GET form to
    the search page), the search script, and JSON-LD data that no text can break out of."""
    tag = element.tag.lower()
    if tag == "form":
        return (element.get("action") or "").endswith("search.html") and element.get(
            "method"
        ) == "get"
    if tag == "script" and element.get("type") == "application/ld+json":
        text = element.text or ""
        json.loads(text)
        return "<" not in text
    return tag == "script" and (element.get("src") or "").endswith("search.js") and not element.text


def active_content(markup: str) -> list[str]:
    """Active elements and attributes in an HTML document or fragment (escaped text is fine).
    The archive's own signup form (the template's, posting to `serve`'s subscribe path) is
    left out: it is in every page, whatever the input."""
    if not markup.strip():
        return []
    root = lxml.html.fromstring(markup)
    for form in root.xpath("//footer[@class='site']/form[@class='signup']"):
        if form.get("action", "").endswith("subscribe") and form.get("method") == "post":
            form.getparent().remove(form)
    found = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.lower()
        if tag in ACTIVE_TAGS and not _our_own(element):
            found.append(f"<{tag}>")
        if tag == "meta" and "refresh" in (element.get("http-equiv") or "").lower():
            found.append("<meta refresh>")
        for name, value in element.attrib.items():
            if name.lower().startswith("on"):
                found.append(f"{tag}@{name}")
            if name.lower() in ("href", "src", "action", "formaction", "xlink:href") and (
                value.strip().lower().startswith(BAD_SCHEMES)
            ):
                found.append(f"{tag}@{name}={value[:20]}")
    return found


def markup_in(path: Path) -> list[str]:
    """Every piece of HTML an output file carries, as a consumer would render it."""
    data = path.read_bytes()
    if path.suffix == ".html":
        return [data.decode("utf-8")]
    if path.suffix == ".atom":  # only type="html" text is markup; type="text" is shown as is
        tree = etree.fromstring(data)
        return [
            el.text or ""
            for el in tree.iter("{*}content", "{*}summary", "{*}title")
            if el.get("type") == "html"
        ]
    if path.suffix == ".rss":  # readers render RSS descriptions and titles as HTML
        tree = etree.fromstring(data)
        return [el.text or "" for el in tree.iter("description", "{*}encoded", "title")]
    if path.suffix == ".json":
        feed = json.loads(data)
        if not isinstance(feed, dict) or "items" not in feed:
            return []  # the search index: its script shows text as text, never as markup
        return [i.get("content_html", "") for i in feed["items"]]
    if path.suffix == ".eml":
        message = email.message_from_bytes(data, policy=email.policy.default)
        part = message.get_body(("html",))
        return [part.get_content()] if part else []
    return []


def test_no_active_content_in_any_output(
    tmp_path: Path, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "hostile.html").write_text(HOSTILE_PAGE)
    (inbox / "markup.txt").write_text(HOSTILE_TEXT)
    out = tmp_path / "out"
    code = main(build_argv(inbox, out, tmp_path / "state.db", "-q"))
    assert code == 0, capsys.readouterr().err
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {
        "feed.atom",
        "feed.rss",
        "feed.json",
        "index.html",
        "digest.html",
        "digest.eml",
        "digests.atom",
    }
    assert len(list((out / "articles").glob("*.html"))) == 2
    checked = 0
    for path in files:
        raw = path.read_text(encoding="utf-8", errors="replace")
        for marker in re.findall(r"HOSTILE-[a-z]+", html.unescape(html.unescape(raw))):
            assert marker == "HOSTILE-text", f"{path.name} carries {marker}"
        for markup in markup_in(path):
            assert active_content(markup) == [], path.name
            checked += 1
    assert checked > 10
    page = next(p for p in (out / "articles").glob("*.html") if "scraper kept" in p.read_text())
    assert "&lt;script&gt;alert(" in page.read_text()
