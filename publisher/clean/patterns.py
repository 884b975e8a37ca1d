"""Boilerplate patterns, kept as data.

Each entry is one named family of lines that are never article text, with a comment saying why
and an example it matches (the examples are asserted in tests/test_clean_patterns.py). The
patterns are matched against one whitespace-normalised line or block at a time, so they are
anchored and short: they describe what a *whole* line looks like, never a word inside prose.

Each family also names cheap necessary conditions on the lower-cased line -- how it can start,
end, or what it must contain -- so that the regexes run only on the few lines that could match
(the cleaner handles thousands of lines per page, and most are ordinary prose or menus).

Code that applies them lives in scoring.py; nothing here knows about documents.
"""

from __future__ import annotations

import re

from .family import Pattern, trie
from .family import family as _p

_DIGITS = tuple("0123456789")


# Lines matched by these are boilerplate wherever they appear (the cleaner checks them against
# lines that are otherwise candidates for the body; see scoring.is_boilerplate).
BOILERPLATE: tuple[Pattern, ...] = (
    # Fundraising counters and goals: a bare amount of money on its own line.
    _p(
        "donation_counter",
        r"^[$€£]?\s?\d[\d,.\s]*\s?[$€£]?$|^\d[\d,.]*\s?(?:usd|eur)$",
        "2,500 $",
        starts=(*_DIGITS, "$", "€", "£"),
    ),
    # Appeals for money or support ("Support SouthFront", "Donate now", "Become a patron").
    _p(
        "donation_appeal",
        r"^(?:support\s+(?:us|our\s+\w+|(?-i:[A-Z]\S*))[!.]?|donate(?:\s+now)?\b.{0,60}|"
        r"become\s+a\s+(?:patron|member|supporter)\b.{0,60}|do\s+you\s+like\s+this\s+content\b.*|"
        r"consider\s+(?:helping|supporting)\s+us\b.*|please\s+(?:donate|support\s+us)\b.*|"
        r"make\s+a\s+(?:donation|contribution)\b.*)$",
        "Do you like this content? Consider helping us!",
        starts=("support", "donate", "become a", "do you like", "consider", "please", "make a"),
    ),
    # Crypto wallet addresses for donations; scrapes often glue the next line onto them.
    _p(
        "crypto_wallet",
        r"^(?:bitcoin(?:\s+cash)?|btc|bch|eth(?:ereum)?(?:\s*&\s*tokens)?|monero|litecoin|ltc|"
        r"dogecoin|xmr|usdt|tether)\b[^:]{0,20}:\s*\S{20,}",
        "BITCOIN: bc1qv7k70u2zynvem59u88ctdlaw7hc735d8xep9rq",
        starts=(
            "bitcoin",
            "btc",
            "bch",
            "eth",
            "monero",
            "litecoin",
            "ltc",
            "doge",
            "xmr",
            "usdt",
            "tether",
        ),
    ),
    # Contact lines of the publisher, not of the story ("OR CONTACT US : info@site.org").
    _p(
        "contact_us",
        r"^(?:or\s+|how\s+to\s+)?contact\s+us\b.{0,80}$",
        "OR CONTACT US : info@southfront.org",
        starts=("or contact", "contact", "how to contact"),
    ),
    # A reporter's or the newsroom's e-mail address: contact details, not the story.
    _p(
        "contact_email",
        r"^(?=.{0,300}$).*\b[\w.+-]+@[\w-]+\.[\w.-]+\b",
        "Have a tip? Amy Kuperinsky may be reached at akuperinsky@njadvancemedia.com.",
        contains=("@",),
        long_lines=True,
    ),
    # Pointers to translations of the same page.
    _p(
        "translation_note",
        r"^(?:you\s+can\s+)?read\s+(?:this|the)\s+(?:article|story|post)\s+in\s+\w+\b.{0,40}$",
        "You can read this article in German: LINK.",
        starts=("you can read", "read this", "read the"),
    ),
    # Comment forms, comment-section headers and commenters' signatures ("jane says:").
    _p(
        "comment_form",
        r"^(?:leave\s+a\s+(?:reply|comment)|(?:post|add|write|submit)\s+(?:a\s+|your\s+)?"
        r"comments?|"
        r"(?:\d+\s+)?(?:comments?|responses?|thoughts?\s+on\b.*)(?:\s*\(\d+\))?|"
        r"join\s+the\s+(?:conversation|discussion)|(?:show|view|hide|load)\s+(?:all\s+)?comments|"
        r"comments\s+are\s+closed|(?:comment\s+)?cancel\s+reply|reply|"
        r"\S+(?:\s+\S+)?\s+(?:says|said,|said(?=:)|wrote(?=:)))"
        r"\s*[.!:*»›]?$|^(?:your\s+email\s+address\s+will\s+not\s+be\s+published|"
        r"required\s+fields\s+are\s+marked|you\s+must\s+be\s+logged\s+in\s+to\s+(?:post|comment)|"
        r"notify\s+me\s+of\s+(?:new|follow-up)|save\s+my\s+name,\s+email|\d+\s+responses\s+to|"
        # A thread with nothing in it yet: the form under it follows.
        r"(?:there\s+are\s+(?:currently\s+)?)?no\s+comments\s+(?:yet|posted|on\s+this\s+"
        r"(?:article|post|story|entry))|be\s+the\s+first\s+to\s+comment|"
        # The rules a comment section opens with ("Comments are moderated ...").
        r"the\s+following\s+(?:are\s+)?(?:comments?|responses)\s+(?:are\s+)?(?:from|by)\s+"
        r"(?:the\s+|our\s+)?readers|comments?\s+(?:posters|writers|entries)\s+are|(?:all\s+)?"
        r"readers?['’]?\s+comments\s+are\s+(?:posted|moderated|monitored|reviewed)|comments\s+"
        r"(?:are|will\s+be)\s+(?:moderated|monitored|reviewed))\b.*$",
        "Your email address will not be published. Required fields are marked *",
        starts=(
            "leave a",
            "post",
            "add ",
            "comment",
            *_DIGITS,
            "join the",
            "show",
            "view",
            "hide",
            "load",
            "cancel",
            "reply",
            "your email",
            "required",
            "you must",
            "write",
            "submit",
            "there are no",
            "no comments",
            "be the first",
            "notify",
            "save my",
            "response",
            "thought",
            "the following",
            "all readers",
            "reader",
        ),
        ends=("says", "says:", "said,", "said:", "wrote:"),
        ends_article=True,
    ),
    # Share / follow / subscribe prompts.
    _p(
        "share_follow",
        r"^(?:(?:share\s+(?:on|via)\s+\w+\s*){2,}|"
        r"share(?:\s+(?:this|on|via|the\s+story|article|your\s+thoughts\b.*))?|"
        r"share(?:\s+this)?\s+(?:on|via|with)\s+\w+|tweet|email|print|pin\s+it|"
        r"follow\s+(?:us|me)\b.{0,60}|follow\s+\S+(?:\s+\S+)?\s+on\s+(?:twitter|facebook|"
        r"instagram|youtube|linkedin)\b.{0,60}|like\s+us\s+on\b.{0,40}|subscribe\b.{0,80}|"
        r"sign\s+up\b.{0,100}|click\s+(?:here\s+)?to\s+(?:share|subscribe|follow|email|print)\b.*)"
        r"[.!:]?$",
        "Follow us on Twitter",
        starts=(
            "share",
            "tweet",
            "email",
            "print",
            "pin it",
            "follow",
            "like us",
            "subscribe",
            "sign up",
            "click",
        ),
        ends_article=True,
    ),
    # Sign-up boxes, legal notes and form chrome: short lines built around their vocabulary.
    _p(
        "chrome_vocabulary",
        r"^(?=.{0,220}$).*?\b(?:newsletters?|unsubscribe|subscription|sign\s+up|privacy\s+policy|"
        r"terms\s+of\s+(?:service|use)|user\s+agreement|opt-in|your\s+inbox|click\s+here|"
        r"opens\s+in\s+(?:a\s+)?new\s+window|all\s+rights\s+reserved|no\s+spam|"
        r"(?:on|of|use|visit)\s+(?:this|our)\s+(?:web\s?)?site|disclaimer)\b",
        "Get breaking news in your inbox. Sign up for our newsletter.",
        contains=(
            "newsletter",
            "subscri",
            "sign up",
            "privacy",
            "terms of",
            "agreement",
            "opt-in",
            "inbox",
            "click here",
            "new window",
            "rights reserved",
            "no spam",
            "this site",
            "our site",
            "this web",
            "our web",
            "disclaimer",
        ),
        ends_article=True,
    ),
    # Headers of related-article lists and read-more links.
    _p(
        "related_links",
        r"^(?:related(?:\s+(?:articles?|stories|posts|coverage|news|content|topics))?(?:\s*:.*)?|"
        r"read\s+(?:more|also|next)\b.{0,80}|see\s+also\b.{0,80}|"
        r"more\s+(?:from|on|in|stories|news)\b.{0,40}|more(?:\s+(?-i:[A-Z])[\w'’&-]*){1,3}|"
        r"you\s+(?:may|might)\s+also\s+(?:like|enjoy)\b.*|recommended(?:\s+for\s+you)?|"
        r"(?:most\s+)?(?:popular|read|viewed|shared)\s+(?:stories|articles|now)|"
        r"trending(?:\s+(?:now|news|stories))?|latest\s+(?:news|stories|articles)?|"
        r"also\s*(?::|read\b|see\b|on\b).{0,100}|sources?|references|further\s+reading|"
        r"about\s+this\s+(?:statement|article|story|report)|"
        r"don'?t\s+miss\b.{0,40}|continue\s+reading\b.{0,40}|previous\s+(?:article|post)|"
        r"next\s+(?:article|post))[.:!]?$",
        "Related: The 15 Weirdest Galaxies in Our Universe",
        starts=(
            "related",
            "read",
            "see also",
            "more",
            "source",
            "references",
            "further reading",
            "about this",
            "you may",
            "you might",
            "recommended",
            "most",
            "popular",
            "viewed",
            "shared",
            "trending",
            "latest",
            "also",
            "don",
            "continue",
            "previous",
            "next",
        ),
        ends_article=True,
    ),
    # Image captions and credits ("Photo: AFP", "Image copyright Getty Images", "(Image: GETTY)").
    _p(
        "image_credit",
        r"^(?:(?:photo|image|picture|video|graphic|illustration)s?(?:\s+(?:credit|copyright|"
        r"caption|by|courtesy(?:\s+of)?))?|credit|pictured|source\s+image|file\s+photo)\s*[:/|]"
        r".{0,150}$|^(?:image|photo|media|video)\s+(?:copyright|caption|by)\b.*$|^.{0,240}\((?:photo|image|"
        r"picture|credit|pictured)\s*:[^)]{0,60}\)$|^.{0,200}\((?:ap|afp|reuters|getty|epa|efe)\b"
        r"[^)]{0,60}\)$|^.{0,200}(?:[.)|/]\s?)(?:getty\s+images|afp|ap(?:\s+photo)?|reuters|"
        r"shutterstock|istock|epa|efe)(?:\s+via\s+getty\s+images)?\)?$",
        "Shahabuddin Delawar, head of a Taliban delegation in Moscow.AFP",
        starts=(
            "photo",
            "image",
            "picture",
            "video",
            "graphic",
            "illustration",
            "credit",
            "pictured",
            "source image",
            "file photo",
            "media",
        ),
        ends=(")", "afp", "ap", "reuters", "getty images", "shutterstock", "istock", "epa", "efe"),
    ),
    # Photo captions: descriptions of a picture, told by their vocabulary ("pictured", "left,",
    # "file photo") or by a credit at the end ("... in Moscow. Credit: AFP").
    _p(
        "caption",
        r"^(?=.{0,300}$)(?:.*\b(?:pictured|photographed)\b|.*,\s(?:left|right)(?:,|\s(?:and|to)\b)"
        r"|.*\((?:left|right)\b[^)]{0,40}\)|.*\bfile\s+photo\b|"
        r".*\b(?:credits?|photo|image|picture):\s*[^.!?:]{2,80}$)",
        "Karma Automotive's Andreas Thurner, left, and Todd George unveil the car.",
        contains=(
            "pictured",
            "photographed",
            ", left",
            ", right",
            "(left",
            "(right",
            "file photo",
            "credit:",
            "credits:",
            "photo:",
            "image:",
            "picture:",
        ),
        long_lines=True,
    ),
    # Captions that introduce the picture they describe ("This illustration shows ...").
    _p(
        "caption_lead",
        r"^(?:this|an?|the)\s+(?:\w+'s\s+)?(?:illustration|photo|image|picture|file\s+photo|"
        r"screenshot|still)\s+(?:of|shows|from)\b.{0,300}$",
        "An artist's illustration of a plume of water vapor emanating from Jupiter's moon Europa.",
        starts=("this ", "an ", "a ", "the "),
    ),
    # The author box or the company boilerplate that follows a post or a press release: a
    # heading "About <Name>" (in the languages of the pages we see), then a bio. The name must
    # be capitalised words only, so that a sentence starting with "About" is never matched.
    _p(
        "about_box",
        r"^(?:about|über|sobre|à\s+propos\s+de|acerca\s+de|a\s+proposito\s+di|informazioni\s+su)"
        r"\s+(?:the\s+authors?|(?-i:[A-ZÀ-ÖØ-Þ][\w.'’&-]*)(?:\s+(?-i:[A-ZÀ-ÖØ-Þ][\w.'’&-]*)){0,3})"
        r"[:.]?$",
        "Über Moritz Bachmann",
        starts=(
            "about ",
            "über ",
            "sobre ",
            "à propos de",
            "acerca de",
            "a proposito di",
            "informazioni su",
        ),
        ends_article=True,
    ),
    # Trust badges and "why you can trust us" boxes.
    _p(
        "trust_badge",
        r"^(?:the\s+trust\s+project|according\s+to\s+the\s+criteria\s+of|know\s+more|"
        r"learn\s+more\s+about\s+the\s+trust\s+project)\b.*$",
        "According to the criteria of",
        starts=("the trust project", "according to the criteria", "know more", "learn more"),
        ends_article=True,
    ),
    # Footers pointing at the source of a re-published article.
    _p(
        "source_link",
        r"^source\s*:.{0,80}$|^source\s+link$|^original\s+(?:article|source)\b.{0,80}$|"
        r"^via\s*:?\s*\S+$",
        "Source link",
        starts=("source", "original", "via"),
        ends_article=True,
    ),
    # Cookie and privacy notices.
    _p(
        "cookie_notice",
        r"^.{0,80}\b(?:we|this\s+(?:site|website))\s+uses?\s+cookies\b.*$|^(?:accept|manage)"
        r"(?:\s+all)?\s+cookies\b.*$|^.{0,60}\bcookies?\s+(?:policy|settings|preferences)\b.{0,80}$"
        r"|^(?=.{0,300}$).*\bcookies\b.{0,80}\b(?:consent|necessary|enabled|browser)\b.*$",
        "We use cookies (why?) You can change cookie preferences.",
        contains=("cookie",),
        long_lines=True,
    ),
    # Copyright and legal footers.
    _p(
        "copyright",
        r"^(?:©|\(c\)\s|copyright\s*(?:©|\(c\)|\d{4})|citation\s*:|this\s+(?:document|article|"
        r"material|content)\s+is\s+(?:subject\s+to|protected\s+by)\s+copyright).*$",
        "© 2000-2019 Rogers Media. All rights reserved.",
        starts=("©", "(c)", "copyright", "citation", "this "),
        ends_article=True,
    ),
    # Legal, medical and financial disclaimers in a page's footer: long sentences (so shape
    # alone prices them as prose, and a dense block of them can outweigh a short article), told
    # by their fixed formulas -- at the start of the line, or anywhere for the few phrases that
    # only disclaimers use. A leading "*" or "+" is the footnote mark they carry. A line headed
    # "Disclaimer:" is not here: an article's own note on its sources often is (short ones are
    # chrome_vocabulary).
    _p(
        "disclaimer",
        r"^[*+†‡\s]*(?:the\s+(?:information|content|material)s?\s+(?:provided|"
        r"contained|published)\s+(?:on|in)\s+(?:this|our)\b|these\s+statements\s+have\s+not\s+been"
        r"\s+evaluated\b|(?:individual\s+)?results\s+(?:may\s+)?vary\b|consult\s+(?:your|a)\s+"
        r"(?:physician|doctor|healthcare\s+provider)\b.{0,80}\bbefore\b|past\s+performance\s+"
        r"(?:is|does)\s+not\b|.*\bfor\s+(?:general\s+)?informational\s+purposes\s+only\b|.*\bnot\s+"
        r"intended\s+to\s+(?:diagnose|be\s+a\s+substitute)\b|.*\bdoes\s+not\s+constitute\s+"
        r"(?:financial|investment|legal|medical|tax)\s+advice\b|.*\bare\s+(?:registered\s+)?"
        r"trademarks\s+of\b).*$",
        "*These statements have not been evaluated by the Food and Drug Administration.",
        # The formulas that open a line are found by their start (footnote marks included),
        # at any length; the phrases found anywhere only in short lines (searching every long
        # paragraph for them costs more than the few long disclaimers they would catch).
        starts=(
            "*",
            "+",
            "†",
            "‡",
            "the information",
            "the content",
            "the material",
            "these statements",
            "results",
            "individual results",
            "consult",
            "past performance",
        ),
        contains=(
            "informational purposes",
            "not intended to diagnose",
            "not intended to be a substitute",
            "not constitute",
            "trademarks of",
        ),
        ends_article=True,
    ),
    # Reprint/print/tag/category lines.
    _p(
        "reprints_tags",
        r"^(?:order\s+reprints|reprints?(?:\s+&\s+permissions)?|print(?:\s+this)?(?:\s+article)?|"
        r"today'?s\s+paper|tags?\s*:.*|topics?\s*:.*|filed\s+under\s*:?.*|categor(?:y|ies)\s*:.*|"
        r"keywords?\s*:.*|posted\s+in\s*:?.{0,80})$",
        "Order Reprints",
        starts=(
            "order",
            "reprint",
            "print",
            "today",
            "tag",
            "topic",
            "filed",
            "categor",
            "keyword",
            "posted in",
        ),
        ends_article=True,
    ),
    # Bylines and reporting credits; the author is read into metadata, the line is dropped.
    _p(
        "byline",
        r"^(?:by|written\s+by|posted\s+by|words\s+by|von|par|por|di)\s+(?-i:[A-Z][\w.'’\-]*)"
        r"(?:\s+[\w.'’\-]+){0,4}(?:\s*(?:,|and|&|\|)\s*[\w.'’ \-:]{2,60}){0,4}$|"
        r"^(?:additional\s+report(?:ing)?|reporting|editing|compiled|writing)\s+by\b.{0,160}$",
        "Additional report by Sarah Provan and Sebastian Payne in London",
        starts=(
            "by ",
            "written by",
            "posted by",
            "words by",
            "von ",
            "par ",
            "por ",
            "di ",
            "additional report",
            "reporting",
            "editing",
            "compiled",
            "writing",
        ),
    ),
    # Update/publication stamps on their own line.
    _p(
        "timestamp",
        r"^(?:published|updated|last\s+updated|posted|first\s+published|modified)"
        r"(?:\s*:|\s+(?:on|at)\b|(?=\s*\d)|(?=\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|"
        r"dec|mon|tue|wed|thu|fri|sat|sun)))(?:[^.!?]|[ap]\.m\.|\b[a-z]{3}\.){0,80}$",
        "Updated: 10:02 AM EDT",
        starts=("published", "updated", "last updated", "posted", "first published", "modified"),
    ),
    # Template placeholders left over from client-side rendering.
    _p(
        "template_token",
        r".*(?:\{\*.*\*\}|\{\{.*\}\}|\$\{.*\})",
        "{* #forgotPasswordForm *} {* traditionalSignIn_emailAddress *}",
        contains=("{*", "{{", "${"),
    ),
    # Interactive leftovers: buttons and reading aids.
    _p(
        "ui_chrome",
        r"^(?:close|menu|search|skip\s+to\s+(?:main\s+)?content|back\s+to\s+top|advertis(?:ement|ing)|"
        r"(?:\d+\s+)?min(?:ute)?s?\s+read|listen\s+to\s+(?:this\s+)?article|loading\.*|"
        r"sponsored(?:\s+content)?|ad|scroll\s+(?:down\s+)?to\s+continue\b.*|log\s*in|sign\s+in|"
        r"register|home|page\s+\d+(?:\s+of\s+\d+)?|\d+\s+of\s+\d+|shares?)[.!:]?$",
        "Advertisement",
        starts=(
            "close",
            "menu",
            "search",
            "skip",
            "back to top",
            "advertis",
            *_DIGITS,
            "min",
            "listen",
            "loading",
            "sponsored",
            "ad",
            "scroll",
            "log",
            "sign in",
            "register",
            "home",
            "page",
            "share",
        ),
    ),
    # Media player and gallery chrome that scrapes keep as text: the no-script notice, slide
    # counters, caption toggles, ad labels, and raw shortcodes of a publishing system that the
    # page printed instead of running ("[button link=...]Buy[/button]", "[caption id=...]").
    _p(
        "media_chrome",
        r"^(?:(?:this\s+)?(?:slideshow|gallery|video|content|player|page|site)\s+requires\s+"
        r"javascript\b.*|(?:please\s+)?enable\s+javascript\b.*|you\s+(?:need|must)\s+(?:to\s+)?"
        r"(?:enable|have)\s+javascript\b.*|javascript\s+(?:is\s+)?(?:required|disabled)\b.*|"
        r"(?:image|photo|picture|slide)\s+\d+\s*(?:of|/)\s*\d+|\d+\s*/\s*\d+|advert|"
        r"\(?click\s+(?:here\s+)?to\s+enlarge\)?|enlarge\s+this\s+image|(?:hide|show|toggle)"
        r"\s+caption|(?:next|previous|prev)\s+(?:slide|image|photo)|(?:view|launch|open|see)\s+"
        r"(?:the\s+)?(?:full\s+)?(?:gallery|slideshow|all\s+\d*\s*photos)|\d+\s+(?:photos|images)|"
        r"scroll\s+down\s+for\s+(?:video|more)|(?-i:\[/?[a-z][\w-]*(?:\s[^\]=]*=[^\]]*)?\])|"
        r"(?-i:\[([a-z][\w-]*)\b[^\]]*\].*\[/\1\]))[.!:]?$",
        "This slideshow requires JavaScript.",
        starts=(
            "this",
            "please",
            "enable",
            "you need",
            "you must",
            "javascript",
            "image",
            "photo",
            "picture",
            "slide",
            *_DIGITS,
            "advert",
            "(click",
            "click",
            "enlarge",
            "hide",
            "show",
            "toggle",
            "next",
            "prev",
            "view",
            "launch",
            "open",
            "see",
            "scroll",
            "[",
        ),
    ),
    # A web video player's controls and settings dialog, which a page without scripts shows
    # as lines of text in the middle of the article (video.js and its kin): "Play Video",
    # "Current Time 0:00", "Loaded: 0%", "subtitles off, selected", "This is a modal window."
    _p(
        "video_player",
        r"^(?:play(?:\s+video)?|pause|(?:un)?mute|(?:non-)?fullscreen|playback\s+rate|"
        r"(?:current|duration|remaining)\s+time\s+-?\d+:\d\d|duration\s+-?\d+:\d\d|"
        r"(?:loaded|progress):\s+\d+(?:\.\d+)?\s*%|stream\s+type\s*live|"
        r"(?:(?:descriptions|subtitles|captions|chapters)\s+off|default),\s+selected|"
        r"captions\s+settings,\s+opens\s+captions\s+settings\s+dialog|"
        r"(?:beginning|end)\s+of\s+dialog\s+window\..*|this\s+is\s+a\s+modal\s+window\..*)$",
        "Current Time 0:00",
        starts=(
            *("play", "pause", "mute", "unmute", "fullscreen", "non-fullscreen", "current"),
            *("duration", "remaining", "loaded", "progress", "stream", "descriptions"),
            *("subtitles", "captions", "chapters", "default", "beginning", "end of", "this is a"),
        ),
    ),
    # A menu flattened onto one line, as text scrapes keep a site map or a footer's links:
    # five or more short items between separators ("main | news | sports | money | jobs",
    # "Branding · Terms · Privacy · Twitter"). Prose never strings five pipe-separated items,
    # and a title's "Headline | Section | Site" has three.
    _p(
        "flattened_menu",
        r"^(?:[^|•·]{1,60}?\s[|•·]\s+){4,}[^|•·]{1,60}$",
        "main | news | sports | money | entertainment | jobs",
        contains=(" | ", " · ", " • "),
        long_lines=True,
    ),
)

# The union of the cheap conditions, checked first: most lines fail all of them at once.
ANY_END = tuple(dict.fromkeys(e for p in BOILERPLATE for e in p.ends))
ANY_CONTAINS = re.compile(trie({c for p in BOILERPLATE for c in p.contains}))
# The same for the families whose words are looked for in long lines too.
ANY_LONG_CONTAINS = re.compile(trie({c for p in BOILERPLATE if p.long_lines for c in p.contains}))

# List bullets that scrapes keep as glyphs at the start of a line. Example: "• After the talks".
BULLET = re.compile(r"^\s*(?:[•·●▪‣◦\-*–]|\d{1,2}[.)])\s+")

# A site name glued to a title: "Headline - Site", "Headline | Site", "Headline — Site".
TITLE_SITE_SUFFIX = re.compile(r"\s+[|\-–—:·»]\s+[^|\-–—:·»]{2,60}$")

# Lines that are only navigation-ish glyphs or separators. Example: "•••" or "/ /".
NON_WORD_LINE = re.compile(r"^[\W_]*$")


# The company profile that closes a press release, without an "About <Name>" heading: a
# paragraph opening with the company's name (and ticker), "is a leading/global ..." and a word
# for a business. Example: "Ascom is a global solutions provider focused on healthcare ICT."
# Only the last prose of an article is tested against it (keep.cut_profile): the same
# sentence earlier is the story's own background.
COMPANY_PROFILE = re.compile(
    r"^(?-i:[A-Z][\w.&'’-]*)(?:\s+(?-i:[A-Z0-9&][\w.&'’-]*)){0,4}(?:\s*\([^)]{1,60}\))?,?"
    r"\s+is\s+(?:a|an|the)\s+(?:[\w'’-]+\s+){0,3}?"
    r"(?:leading|global|worldwide|international|premier|world[’']s\s+(?:leading|largest))\s+"
    r"(?:[\w/&-]+\s+){0,4}?(?:provider|supplier|manufacturer|developer|company|firm|maker|"
    r"producer|platform|group|organi[sz]ation|operator|distributor)s?\b",
    re.IGNORECASE,
)

# The author's name in a byline line. Example: "By Jane Doe and John Roe" -> "Jane Doe".
BYLINE_AUTHOR = re.compile(
    r"^(?i:by|written\s+by|posted\s+by|words\s+by|author:?)\s+"
    r"(?P<name>[A-Z][\w.'’\-]*(?:\s+(?:[A-Z][\w.'’\-]*|de|van|von|da|di|la|le)){0,4})"
)
