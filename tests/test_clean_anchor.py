"""The article found from the page's landmarks (anchor.py): the headline's copy and the lead
under it, and comment signatures, on short articles beside longer comment threads."""

from __future__ import annotations

from datetime import UTC, datetime

from publisher.clean import anchor, clean
from publisher.models import Article, RawDocument

REFERENCE = datetime(2020, 9, 13, tzinfo=UTC)
HEADLINE = "How Terrorist Groups Disband"
ARTICLE = [
    "Interesting research from a policy institute on how such groups come to an end.",
    "Most groups end because of police and intelligence work, not because of military force.",
    "This should surprise no one who has followed the research of the past ten years.",
]
COMMENTS = [
    line
    for n in range(6)
    for line in (
        f"Comment {n} says that the author is quite wrong about the matter, and that the "
        "evidence from the last decades of conflicts in several regions of the world points "
        "to a rather different conclusion about the role of armed force in such struggles.",
        f"Posted by: Reader{n} at November 9, 2012 {n + 7}:49 AM",
    )
]
MENU = ["Home", "Blog", "Essays", "Books", "About"]


def cleaned(text: str, kind: str) -> Article:
    doc = RawDocument(
        source="p", key="p", group="site", text=text, kind=kind,  # type: ignore[arg-type]
        encoding="utf-8", mtime=REFERENCE.timestamp(), size=len(text), content_hash="0" * 64,
    )  # fmt: skip
    result = clean(doc)
    assert isinstance(result, Article), result
    return result


def test_a_short_article_wins_over_the_longer_comment_thread_under_it() -> None:
    lines = [f"My Blog: {HEADLINE}", *MENU, "November 9, 2012", HEADLINE, *ARTICLE]
    lines += ["Posted on November 9, 2012 at 6:41 AM", "Comments", *COMMENTS, *MENU]
    result = cleaned("\n".join(lines), "text")
    assert [b.text for b in result.blocks] == ARTICLE


def test_the_same_in_markup_without_telling_class_names() -> None:
    paragraphs = "".join(f"<p>{line}</p>" for line in ARTICLE)
    thread = "".join(f"<div>{line}</div>" for line in COMMENTS)
    menu = "".join(f"<li><a href='/{m}'>{m}</a></li>" for m in MENU)
    page = (
        f"<html><head><title>{HEADLINE} - My Blog</title></head><body><ul>{menu}</ul>"
        f"<div><h1>{HEADLINE}</h1>{paragraphs}</div><h3>Comments</h3>{thread}</body></html>"
    )
    result = cleaned(page, "html")
    assert [b.text for b in result.blocks] == ARTICLE


def test_signatures_need_a_date_a_year_and_a_time_and_recur() -> None:
    lines = ["Posted by: Jeff at November 9, 2012 8:01 AM", "November 9, 2012", "Text."]
    assert anchor.signatures(lines.__getitem__, len(lines), REFERENCE) == []
    lines.append("Jane September 17, 2012 - 1:01 pm")
    assert anchor.signatures(lines.__getitem__, len(lines), REFERENCE) == [0, 3]


def test_the_lead_wins_only_when_its_run_is_not_much_poorer() -> None:
    values = [-8.0, 20.0, -8.0, -8.0, -8.0, -8.0, 100.0, 50.0]
    assert anchor.anchored_region(values, [0], (6, 8)) == (6, 8)  # the region is at the lead
    assert anchor.anchored_region(values, [None], (6, 8)) == (6, 8)
    far = [-8.0, 40.0, 10.0, *([-8.0] * 20), 100.0, 50.0]
    assert anchor.anchored_region(far, [0], (23, 25)) == (1, 3)  # not bridged into the region
    assert anchor.anchored_region([*far, 200.0], [0], (23, 26)) == (23, 26)  # much poorer


def test_a_signature_with_an_iso_date_and_a_clock() -> None:
    lines = ["on 2012-10-09 at 9:00 am Olaf", "Text.", "on 2012-10-09 at 9:03 am Fernando"]
    assert anchor.signatures(lines.__getitem__, len(lines), REFERENCE) == [0, 2]


def test_the_headline_copy_is_found_without_its_punctuation_and_with_a_count() -> None:
    lines = [
        "Chads World 15Flash, Flash, FLASH! - Virtual Geek",
        "Recent: Chads World 15Flash, Flash, FLASH! and more",
        "Chad’s World 15–Flash, Flash, FLASH!",
    ]
    assert anchor.title_copy(lines, 0, ("Chads World 15Flash, Flash, FLASH!",)) == 2
    counted = ["Spooky: How Algorithms See Into Your Life - News", "Home", "News"]
    counted += ["Spooky: How Algorithms See Into Your Life 211"]
    assert anchor.title_copy(counted, 0, ("Spooky: How Algorithms See Into Your Life",)) == 3
    # A headline's words inside a longer line are not its copy.
    longer = [*counted[:3], "Spooky: How Algorithms See Into Your Life, and what to do now"]
    assert anchor.title_copy(longer, 0, ("Spooky: How Algorithms See Into Your Life",)) is None


def test_the_lead_holds_against_a_legal_footer_that_outweighs_the_article() -> None:
    footer = [
        f"Note {n}: some postings on this site deal with tools and activities which could "
        "be harmful if used without care, and readers are responsible for what they do "
        "with what they read here, whatever the outcome may be for them or for others."
        for n in range(4)
    ]
    # The first pass prices the comment-form lines as any short line, so the region spans the
    # article and the footer; priced by their pattern, they split it and the footer weighs more.
    # The footer starts further under the lead than a byline box would sit (LEAD_WINDOW).
    form = ["Share to Twitter", "No comments:", "Post a Comment", "Older Post"]
    article = [f"Study {n} showed police work ended groups." for n in range(4, 14)]
    lines = [f"My Blog: {HEADLINE}", *MENU, HEADLINE, *article, *form, *footer]
    result = cleaned("\n".join(lines), "text")
    assert [b.text for b in result.blocks] == article


def test_names_with_a_full_date_sign_comments_when_there_are_three() -> None:
    lines = [
        "Posted October 25, 2012",
        "1. James Cannon - Runcorn Trekkie UK - October 26, 2012",
        "The bridge always seemed like nothing was happening there.",
        "2. The Keeper - October 26, 2012",
        "3. CmdrR, October 27, 2012",
        "The ship was launched on October 26, 2012",  # a sentence: no separator before the date
    ]
    assert anchor.signatures(lines.__getitem__, len(lines), REFERENCE) == [1, 3, 4]
    assert anchor.signatures(lines.__getitem__, 4, REFERENCE) == []


def test_a_posted_by_line_with_a_clock_signs_a_comment_without_a_full_year() -> None:
    lines = [
        "Posted by: Brad, Glasgow on 11:16am Wed 9 Jan 08",
        "Geography is never irrelevant.",
        "Posted by: Miss Priss on 11:56am Wed 9 Jan 08",
    ]
    assert anchor.signatures(lines.__getitem__, len(lines), REFERENCE) == [0, 2]
    # A live blog's entries (a clock and a day, no year) are not signatures.
    entries = ["Updated 11:16am Wed 9 Jan", "The vote is open.", "Updated 11:56am Wed 9 Jan"]
    assert anchor.signatures(entries.__getitem__, len(entries), REFERENCE) == []


TEASERS = [
    line
    for n in range(4)
    for line in (
        f"Another Car Number {n} Looks Almost the Same",
        f"The new car number {n} looks almost the same as its older versions, but there seems "
        "to be a significant improvement in what it does for the driver on the road [...]",
    )
]


def test_teaser_excerpts_are_the_cut_lines_under_headlines_when_there_are_two() -> None:
    lines = ["Menu", *TEASERS]
    assert anchor.teaser_excerpts(lines.__getitem__, len(lines)) == [2, 4, 6, 8]
    # One cut paragraph (an article that stops on a suspended ending) is no teaser list.
    assert anchor.teaser_excerpts(lines.__getitem__, 3) == []
    # An excerpt under a sentence, not a headline, is not counted.
    prose = ["The car was shown at the fair.", TEASERS[1], "It sold well.", TEASERS[3]]
    assert anchor.teaser_excerpts(prose.__getitem__, len(prose)) == []


def test_a_teaser_list_under_a_short_article_is_not_kept() -> None:
    lines = [f"My Blog: {HEADLINE}", *MENU, HEADLINE, *ARTICLE, *TEASERS]
    result = cleaned("\n".join(lines), "text")
    assert [b.text for b in result.blocks] == ARTICLE
