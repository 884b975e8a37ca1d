"""Each boilerplate family of patterns.py, on its own: its example matches, prose does not."""

from __future__ import annotations

import pytest

from publisher.clean import scoring
from publisher.clean.family import Pattern
from publisher.clean.patterns import BOILERPLATE, BULLET, BYLINE_AUTHOR, TITLE_SITE_SUFFIX

# Article sentences that share words with the families but are not boilerplate.
PROSE = (
    "The situation in Afghanistan is in a tangle.",
    "Support for the plan grew in the north, officials said.",
    "By midnight, the crowd had dispersed and the square was quiet.",
    "Comments from the minister were not available on Friday.",
    "The talks were confirmed on Friday, according to Reuters.",
    "Published in 1990, the book sold a million copies.",
    "Share prices fell by 4% after the announcement.",
    "Related talks in Doha are expected to resume next week.",
    "He said the photo was taken by a soldier in Kandahar.",
    "Copyright law was changed in 2019 after long debates.",
    "More than 12,000 people attended the match in Madrid.",
    "Print newspapers have lost readers for a decade.",
    "5 marathon runners finished within a minute of each other.",
    "Also, the band will play a hometown show in Mountain View on Sept. 12.",
    "Sources close to the talks said the ceasefire could hold until the spring.",
    "She visited the site of the crash on Friday and spoke to survivors there.",
    "More than half of the district centers are now under Taliban control.",
    "Results of the vote were announced late on Sunday.",
    "The drug was not intended to treat children, the company said.",
    "Her lawyer, Jane Roe, said:",
    "Police said, according to a statement.",
    "Doctors said past performance of the vaccine gave them confidence.",
    "[harry] Amy Churchwell joins the Search team today, from Marketing Engineering.",
    "Advertising revenue fell by a fifth in the third quarter, the company said.",
    "This video shows the moment the bridge collapsed into the river below.",
    "Readers' comments are often harsher than the reviews, the editor said.",
    "The following comments from the minister were read out in parliament.",
    "Play the video above to see the moment the roof fell in.",
    "No comments have been made by officials since the vote.",
    "Submit comments to the planning board by Friday, the council said.",
    "The shortlist: Paris | Lyon | Nice, with a decision due in May.",
    "Results (pts): Smith 12 | Jones 10 | Brown 9 | Green 7, after a season in which "
    "the club's young players, most of them signed from the academy, scored more than half of "
    "the goals.",
)


@pytest.mark.parametrize("pattern", BOILERPLATE, ids=lambda p: p.name)
def test_family_matches_its_example(pattern: Pattern) -> None:
    assert pattern.could_match(pattern.example.lower())
    assert pattern.regex.match(pattern.example)
    assert scoring.is_boilerplate(pattern.example)


@pytest.mark.parametrize("line", PROSE)
def test_prose_is_not_boilerplate(line: str) -> None:
    assert scoring.boilerplate_family(line) is None


def test_every_family_names_a_cheap_condition() -> None:
    assert all(p.starts or p.ends or p.contains for p in BOILERPLATE)


def test_family_names_are_unique() -> None:
    names = [p.name for p in BOILERPLATE]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    ("line", "family"),
    [
        ("895 $", "donation_counter"),
        ("Support SouthFront", "donation_appeal"),
        ("MONERO (XMR): 884Bz8UH63aYsjVdkfWfScRYWZGGNbjFL7pztqvWNSrtYT4r", "crypto_wallet"),
        ("ETH & TOKENS: 0x3cbded43efdaf0fc77b9c55f6fc9988fcc9b757dThe Taliban", "crypto_wallet"),
        ("Leave a Reply", "comment_form"),
        ("thelastchargersfan says:", "comment_form"),
        ("firefighter jeff said,", "comment_form"),
        ("Paula wrote:", "comment_form"),
        ("Comments »", "comment_form"),
        ("3 Responses›", "comment_form"),
        ("34 responses to “Anthony Lynn”", "comment_form"),
        ("Share this:", "share_follow"),
        ("Share this on WhatsApp", "share_follow"),
        ("Click to share on Facebook (Opens in new window)", "share_follow"),
        ("No spam, we promise. You can unsubscribe at any time.", "chrome_vocabulary"),
        ("Read more: Why the talks failed", "related_links"),
        ("More Washington Examiner", "related_links"),
        ("The protests kicked off in June (Image: GETTY )", "image_credit"),
        ("The Trust Project", "trust_badge"),
        ("Sobre Carlos Nadalim", "about_box"),
        ("About the author", "about_box"),
        ("Source: Reuters", "source_link"),
        ("This website uses cookies to improve your experience.", "cookie_notice"),
        ("Copyright 2019 The Associated Press.", "copyright"),
        ("Tags: Afghanistan, Taliban", "reprints_tags"),
        ("By Jane Doe and John Roe", "byline"),
        ("Updated: 10:48, Tue, Nov 19, 2019", "timestamp"),
        ("Advertisement", "ui_chrome"),
        ("ADVERTISING", "ui_chrome"),
        ("1 of 12", "ui_chrome"),  # a gallery's counter
        (
            "Media caption Barack Obama: 'Great Britain has always been our best partner'",
            "image_credit",
        ),
        ("The city was closed this year Credit: The Siberian Times", "caption"),
        ("In this Dec. 12, 2006, file photo, made available by NASA, astronauts work.", "caption"),
        ("An artist's illustration of a plume of water vapor on Europa.", "caption_lead"),
        ("Have a tip? Reach her at reporter@example.com.", "contact_email"),
        (
            "Citation: Hibernating astronauts (2019, November 18) retrieved from https://x",
            "copyright",
        ),
        ("Sources:", "related_links"),
        ("Share on Facebook Share on Twitter Share via Email", "share_follow"),
        ("Follow Newsbeat on Instagram, Facebook, Twitter and YouTube.", "share_follow"),
        ("Published: Monday, November 18th, 2019 at 11:08 a.m.", "timestamp"),
        ("How to contact us", "contact_us"),
        ("+Results vary depending on starting point, goals and effort.", "disclaimer"),
        (
            "Consult your physician before beginning any exercise program. The contents are "
            "for informational purposes only, and are not intended to diagnose any condition.",
            "disclaimer",
        ),
        ("Past performance is not indicative of future results.", "disclaimer"),
        ("Apple TV and iPad are registered trademarks of Apple Inc.", "disclaimer"),
        ("This slideshow requires JavaScript.", "media_chrome"),
        ("Image 3 of 20", "media_chrome"),
        ("The following are comments from the readers. In no way do they ...", "comment_form"),
        ("Comment posters are responsible for the opinions they express.", "comment_form"),
        ("Comments are moderated, and will not appear until approved.", "comment_form"),
        ("Post Comments", "comment_form"),
        ("Write a comment", "comment_form"),
        ("Comment Cancel reply", "comment_form"),
        ("There are no comments posted for this article.", "comment_form"),
        ("Be the first to comment!", "comment_form"),
        ("Play Video", "video_player"),
        ("Duration Time 0:00", "video_player"),
        ("Remaining Time -0:00", "video_player"),
        ("Loaded: 0%", "video_player"),
        ("Stream Type LIVE", "video_player"),
        ("subtitles off, selected", "video_player"),
        ("This is a modal window. This modal can be closed by pressing Escape.", "video_player"),
        ("Photo 1/12", "media_chrome"),
        ("Advert", "media_chrome"),
        ("(Click To Enlarge)", "media_chrome"),
        ("Hide caption", "media_chrome"),
        ('[button link="https://shop.example"]Buy now[/button]', "media_chrome"),
        ('[caption id="attachment_5" align="alignleft" width="300"]', "media_chrome"),
        (
            "SITE MAP azcentral.com main | news | sports | money | entertainment | arizona moms | "
            "arizona travel guide | health | food & home | style | photos | video | shopping",
            "flattened_menu",
        ),
        ("Branding · Terms · Privacy · Twitter · Edit this page on GitHub", "flattened_menu"),
    ],
)
def test_family_of_line(line: str, family: str) -> None:
    found = scoring.boilerplate_family(line)
    assert found is not None and found.name == family


def test_barrier_families_end_articles() -> None:
    ends = {p.name for p in BOILERPLATE if p.ends_article}
    assert {"comment_form", "share_follow", "related_links"} <= ends
    assert "image_credit" not in ends  # captions interrupt an article, they do not end it


def test_contained_words_prefilter_finds_every_needle() -> None:
    from publisher.clean.patterns import ANY_CONTAINS, ANY_LONG_CONTAINS

    for pattern in BOILERPLATE:
        for needle in pattern.contains:
            assert ANY_CONTAINS.search(f"x {needle} y"), needle
            if pattern.long_lines:
                assert ANY_LONG_CONTAINS.search(f"x {needle} y"), needle
    assert not ANY_CONTAINS.search("an ordinary sentence about the war")
    assert not ANY_LONG_CONTAINS.search("a newsletter is not looked for in long lines")


def test_bullet_glyphs() -> None:
    assert BULLET.match("• After the talks")
    assert BULLET.match("- item")
    assert not BULLET.match("-5 degrees tonight")


def test_title_site_suffix() -> None:
    assert TITLE_SITE_SUFFIX.search("Nadal keeps Spain alive - Sportsnet.ca")
    assert not TITLE_SITE_SUFFIX.search("Escalation In Afghanistan (Videos, 18+)")


def test_byline_author() -> None:
    match = BYLINE_AUTHOR.match("By Jane Doe and John Roe")
    assert match and match.group("name") == "Jane Doe"
    assert not BYLINE_AUTHOR.match("By midnight, the crowd had gone.")
