"""Settings: an optional TOML file plus command-line overrides, read into frozen dataclasses.

Every setting has a default that works with no file at all. Relative paths in a config file
are taken relative to the file's directory; relative paths given on the command line (or
defaulted with no file) are taken relative to the working directory.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field, fields
from email.utils import getaddresses
from pathlib import Path
from typing import Any, Literal, NewType
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError

DEFAULT_CONFIG_NAME = "publisher.toml"
PASSWORD_ENV = "PUBLISHER_SMTP_PASSWORD"

# A length of time in seconds, written in the file as "50ms", "5s", "15m", "1h", "2d" or a
# number of seconds.
Duration = NewType("Duration", float)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
SourceKind = Literal["feed", "sitemap", "urls", "opml"]
FullText = Literal["auto", "always", "never"]
SOURCE_KINDS: tuple[SourceKind, ...] = ("feed", "sitemap", "urls", "opml")


@dataclass(frozen=True)
class SiteSettings:
    title: str = "Publisher Digest"
    subtitle: str = "The day's articles, cleaned and summarized."
    base_url: str = "http://localhost:8000/"
    author: str = "Publisher"
    email: str = "publisher@localhost"
    language: str = "en"
    icon: str | None = None
    # Where an article page's canonical link points: the page itself, or the original
    # article it was made from (when known), for sites that republish with permission.
    canonical: Literal["self", "source"] = "self"


@dataclass(frozen=True)
class PathSettings:
    input: tuple[Path, ...] = (Path("seeds"),)
    out: Path = Path("out")
    state: Path = Path(".publisher/state.db")
    templates: Path | None = None  # the user's own templates, searched before the built-in ones


@dataclass(frozen=True)
class SourceSpec:
    """One ``[[sources]]`` table: a feed, a sitemap, a list of article URLs, or an OPML list
    of feeds (a file, made absolute, or a URL)."""

    kind: SourceKind
    location: str  # the feed's, sitemap's or OPML's URL or path; "" for a list of URLs
    urls: tuple[str, ...] = ()
    name: str | None = None  # None: the host
    every: float = 3600.0  # the least seconds between two polls
    full_text: FullText = "auto"

    @property
    def key(self) -> str:
        """The source's identity in the state: its kind and where it was configured."""
        return f"{self.kind}:{self.location or ' '.join(self.urls)}"


@dataclass(frozen=True)
class FetchSettings:
    user_agent: str | None = None  # None: "publisher/VERSION (+BASE_URL)"
    host_interval: Duration = Duration(5.0)
    timeout: Duration = Duration(30.0)
    max_bytes: int = 10 * 1024 * 1024  # for input files and downloads alike
    allow_private: bool = False


@dataclass(frozen=True)
class SummarySettings:
    sentences: int = 3
    words: int = 75


@dataclass(frozen=True)
class FeedSettings:
    max_entries: int = 50
    # "full": entries carry the article's text; "summary": only its summary and a link.
    content: Literal["full", "summary"] = "full"
    # WebSub hubs: announced in every feed, pinged after a build that changed a feed.
    hubs: tuple[str, ...] = ()
    # The naming authority of feed and entry ids ("example.org" or "example.org/news"). Left
    # empty, it is taken from base_url when the first article is published and kept in the
    # state database, so that ids never follow base_url to another host.
    id_authority: str | None = None
    # A keyword carried by at least this many published articles is a topic, with its own
    # feeds (feeds/topic/<slug>.atom, .rss, .json) and page; the max_topics keywords carried
    # by the most articles are (0: no topic feeds). Readers choose among the same topics
    # (summarize.topics.choose_topics).
    topic_min_articles: int = 5
    max_topics: int = 30


@dataclass(frozen=True)
class DigestSettings:
    from_: str = "Publisher Digest <digest@localhost>"
    max_items: int = 30
    reply_to: str | None = None


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 587
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    timeout: float = 30.0
    # Messages handed to the relay per minute at most (0: no limit): many relays defer or
    # refuse a sender that goes faster than its plan allows.
    max_per_minute: int = 0

    @property
    def password(self) -> str | None:
        """The SMTP password, read from the environment only, never from a file."""
        return os.environ.get(PASSWORD_ENV) or None


_EVERY = re.compile(r"(\d+)\s*([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _step(field: str, span: int) -> int:
    """Seconds between the firings a crontab minute field makes within an hour: "*/15"
    and "0,15,30,45" fire every 900 s, "5" once an hour."""
    if field.startswith("*/") and field[2:].isdigit() and int(field[2:]) > 0:
        return int(field[2:]) * 60
    count = len(field.split(","))
    return max(60, span * 60 // count) if count > 1 else 3600


@dataclass(frozen=True)
class MailSettings:
    # DKIM: the selector of the key that signs every message (``publisher dkim`` prints the
    # DNS record to publish); empty: messages are not signed. With ``dkim_ed25519`` each is
    # signed a second time with an Ed25519 key (RFC 8463), under "<selector>-ed25519".
    dkim_selector: str | None = None
    dkim_ed25519: bool = False
    # The mailbox that takes bounces ("bounces@news.example.org"): each message's return
    # path becomes bounces+<signed token>@..., which ``publisher bounces`` reads back.
    # Empty: the return path is the From address, and bounces are not told apart.
    bounce_address: str | None = None


@dataclass(frozen=True)
class SignupSettings:
    # Whether the archive pages carry a signup form and ``serve`` answers it.
    enabled: bool = True
    # Confirmation mails per hour at most: per client address, per recipient domain, and in
    # all (a bot's burst of signups must not become a burst of mail).
    per_client: int = 3
    per_domain: int = 5
    per_hour: int = 20
    # Trust the last X-Forwarded-For hop as the client address (behind a reverse proxy).
    forwarded_for: bool = False


@dataclass(frozen=True)
class ScheduleSettings:
    build: str = "15m"
    digest: str = "0 7 * * *"
    timezone: str = "UTC"  # of the crontab lines, and of the dates digests are named by
    misfire_grace: int = 3600

    def build_every(self) -> int:
        """Roughly how many seconds pass between two builds, for the freshness hints of the
        feeds and the server (RSS ttl, Cache-Control): the interval of an interval schedule;
        for a crontab line, the step of its minute or hour field, else a day; an hour when
        builds are not scheduled here (cron runs them)."""
        spec = self.build.strip()
        interval = _EVERY.fullmatch(spec)
        if interval:
            return max(1, int(interval[1]) * _UNIT_SECONDS[interval[2]])
        fields = spec.split()
        if len(fields) != 5:
            return 3600
        minute, hour = fields[0], fields[1]
        if minute == "*":
            return 60
        if hour == "*" or hour.startswith("*/"):
            hours = int(hour[2:]) if hour.startswith("*/") and hour[2:].isdigit() else 1
            per_hour = _step(minute, 60)
            return 3600 * hours if per_hour == 3600 else per_hour
        return 86400

    def zone(self) -> ZoneInfo:
        """``timezone`` as a tzinfo; ConfigError when it is not a known zone."""
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"schedule.timezone: unknown time zone {self.timezone!r}",
                'use an IANA name such as "UTC" or "Europe/Berlin"',
            ) from None


@dataclass(frozen=True)
class Settings:
    site: SiteSettings = field(default_factory=SiteSettings)
    paths: PathSettings = field(default_factory=PathSettings)
    sources: tuple[SourceSpec, ...] = ()
    fetch: FetchSettings = field(default_factory=FetchSettings)
    summary: SummarySettings = field(default_factory=SummarySettings)
    feed: FeedSettings = field(default_factory=FeedSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    signup: SignupSettings = field(default_factory=SignupSettings)
    jobs: int = 0  # 0: one worker per CPU
    config_path: Path | None = None
    # What the file says that still works but should be changed (a key that moved): the
    # command line prints these, the daemon logs them.
    notices: tuple[str, ...] = ()

    @property
    def base_url(self) -> str:
        """The site's base URL, always ending in a slash."""
        url = self.site.base_url
        return url if url.endswith("/") else url + "/"

    def url(self, path: str = "") -> str:
        """An absolute URL for a path inside the published site."""
        return self.base_url + path.lstrip("/")

    @property
    def icon_url(self) -> str | None:
        """The site icon as an absolute URL ([site] icon may be absolute, or relative to
        base_url), or None without one."""
        return urljoin(self.base_url, self.site.icon) if self.site.icon else None


# Their values go into mail headers (subject, From, Reply-To, List-Id) and SMTP commands,
# where a line break would start another header or command.
_ONE_LINE = ("site", "digest", "smtp", "fetch", "mail")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # a tab is fine in a header
_SELECTOR = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# A tag: URI's authority (RFC 4151: a DNS name) and an optional path of plain segments.
_AUTHORITY = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?(/[A-Za-z0-9._~-]+)*")

# TOML table name -> Settings attribute. "from" is a Python keyword, hence from_.
_SECTIONS = {
    "site": "site",
    "paths": "paths",
    "fetch": "fetch",
    "summary": "summary",
    "feed": "feed",
    "digest": "digest",
    "smtp": "smtp",
    "schedule": "schedule",
    "mail": "mail",
    "signup": "signup",
}


def load_settings(
    config: str | os.PathLike[str] | None = None,
    overrides: dict[str, Any] | None = None,
    *,
    cwd: Path | None = None,
) -> Settings:
    """Read settings from ``config`` (or ``publisher.toml`` in ``cwd`` when present).

    ``overrides`` maps dotted keys (``"paths.out"``) to values from the command line; they win
    over the file. Unknown keys and values of the wrong type raise ConfigError naming the key;
    a file that cannot be read raises ConfigError naming the file.
    """
    cwd = cwd or Path.cwd()
    data: dict[str, Any] = {}
    base = cwd
    path: Path | None = None
    if config is not None:
        path = Path(config)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}", "check the --config path")
    elif (cwd / DEFAULT_CONFIG_NAME).is_file():
        path = cwd / DEFAULT_CONFIG_NAME
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
        except OSError as exc:
            # Unreadable to this user: a message, also in the daemon's reload on SIGHUP.
            raise ConfigError(
                f"cannot read the config file {path}: {exc.strerror or exc}",
                "check the file's permissions",
            ) from exc
        base = path.resolve().parent

    values: dict[str, Any] = {}
    notices: list[str] = []
    for name, value in data.items():
        if name == "jobs":
            values["jobs"] = _coerce("jobs", value, int, base)
            continue
        if name == "sources":
            values["sources"] = _sources(value, base, str(path), notices)
            continue
        if name not in _SECTIONS:
            # A table is a misnamed section; anything else a misnamed top-level key.
            what = f"section [{name}]" if isinstance(value, dict) else f"key {name}"
            raise ConfigError(
                f"{path}: unknown {what}",
                f"known: jobs, and the sections {', '.join(sorted(_SECTIONS))}",
            )
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: [{name}] must be a table")
        values[_SECTIONS[name]] = _build_section(name, value, base, str(path))
    if isinstance(data.get("sources"), dict) and "max_bytes" in data["sources"]:
        moved = data["sources"]["max_bytes"]
        if "max_bytes" not in data.get("fetch", {}):
            fetch = values.get("fetch") or FetchSettings()
            values["fetch"] = _replace(fetch, "fetch", "max_bytes", moved, base, str(path))

    if values.get("sources") and "input" not in data.get("paths", {}):
        # A configuration with sources on the web reads no input files unless it names some:
        # the default seeds/ directory would be reported missing on every build.
        paths = values.get("paths") or PathSettings()
        values["paths"] = dataclasses.replace(paths, input=())
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        section, _, key = dotted.partition(".")
        if not key:
            values[section] = _coerce(section, value, int, cwd)
            continue
        current = values.get(section) or getattr(Settings(), section)
        values[section] = _replace(current, section, key, value, cwd, "command line")

    settings = Settings(**values, config_path=path, notices=tuple(notices))
    _validate(settings)
    return settings


def _sources(value: Any, base: Path, origin: str, notices: list[str]) -> tuple[SourceSpec, ...]:
    """The ``[[sources]]`` tables; the old ``[sources] max_bytes`` table gives none (its key
    is read as ``[fetch] max_bytes`` by the caller) and a notice saying so."""
    if isinstance(value, dict):
        if not value:
            return ()
        if set(value) <= {"max_bytes"}:
            notices.append(
                f"{origin}: [sources] max_bytes has moved to [fetch] max_bytes (one cap for "
                "files and downloads); it is read from there now, so move it"
            )
            return ()
        raise ConfigError(
            f"{origin}: [sources] must be written [[sources]], one table per source",
            '[[sources]]\nfeed = "https://example.org/rss.xml"',
        )
    if not isinstance(value, list):
        raise ConfigError(f"{origin}: sources must be [[sources]] tables")
    specs: list[SourceSpec] = []
    seen: dict[str, int] = {}
    for index, table in enumerate(value, 1):
        spec = _source(table, f"sources[{index}]", base, origin)
        if spec.key in seen:
            raise ConfigError(
                f"{origin}: sources[{index}] repeats sources[{seen[spec.key]}] ({spec.key})",
                "list each feed, sitemap or OPML once",
            )
        seen[spec.key] = index
        specs.append(spec)
    return tuple(specs)


def _source(table: Any, name: str, base: Path, origin: str) -> SourceSpec:
    """One ``[[sources]]`` table, checked; ConfigError naming it (``sources[2]``)."""
    if not isinstance(table, dict):
        raise ConfigError(f"{origin}: {name} must be a table")
    kinds = [kind for kind in SOURCE_KINDS if kind in table]
    if len(kinds) != 1:
        raise ConfigError(
            f"{origin}: {name} needs exactly one of feed, sitemap, urls, opml"
            + (f", not {' and '.join(kinds)}" if kinds else ""),
            '[[sources]]\nfeed = "https://example.org/rss.xml"',
        )
    kind = kinds[0]
    allowed = {kind, "name", "every", "full_text"}
    for key in table:
        if key not in allowed:
            raise ConfigError(
                f"{origin}: unknown key {name}.{key}", f"known keys: {', '.join(sorted(allowed))}"
            )
    location, urls = "", ()
    if kind == "urls":
        urls = _coerce(f"{name}.urls", table["urls"], tuple[str, ...], base)
        if not urls:
            raise ConfigError(f"{origin}: {name}.urls is empty")
        for url in urls:
            _web_url(f"{name}.urls", url, origin)
    elif kind == "opml" and not _is_web(table["opml"]):
        location = str(_coerce(f"{name}.opml", table["opml"], Path, base))
    else:
        location = _coerce(f"{name}.{kind}", table[kind], str, base)
        _web_url(f"{name}.{kind}", location, origin)
    return SourceSpec(
        kind=kind,
        location=location,
        urls=urls,
        name=_coerce(f"{name}.name", table.get("name"), str | None, base),
        every=_coerce(f"{name}.every", table.get("every", "1h"), Duration, base),
        full_text=_coerce(f"{name}.full_text", table.get("full_text", "auto"), FullText, base),
    )


def _is_web(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def _web_url(name: str, value: str, origin: str) -> None:
    url = urlsplit(value)
    if url.scheme.lower() not in ("http", "https") or not url.hostname:
        raise ConfigError(
            f"{origin}: {name} must be an absolute http(s) URL, not {value!r}",
            'for example "https://example.org/rss.xml"',
        )


def parse_duration(name: str, value: Any) -> float:
    """Seconds in ``value``: a number, or "50ms", "5s", "15m", "1h", "2d"; ConfigError
    naming ``name`` otherwise."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    match = _DURATION.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ConfigError(
            f'{name} must be a length of time such as "50ms", "5s", "15m", "1h" '
            f"or a number of seconds, not {value!r}"
        )
    return float(match[1]) * _DURATION_UNITS[match[2]]


def _build_section(name: str, table: dict[str, Any], base: Path, origin: str) -> Any:
    default = getattr(Settings(), _SECTIONS[name])
    result = default
    for key, value in table.items():
        result = _replace(result, name, key, value, base, origin)
    return result


def _replace(section_obj: Any, section: str, key: str, value: Any, base: Path, origin: str) -> Any:
    attr = "from_" if key == "from" else key
    known = {f.name: f for f in fields(section_obj)}
    if attr not in known:
        names = ", ".join(sorted(k.rstrip("_") for k in known))
        raise ConfigError(f"{origin}: unknown key {section}.{key}", f"known keys: {names}")
    hint = typing.get_type_hints(type(section_obj))[attr]
    coerced = _coerce(f"{section}.{key}", value, hint, base)
    return dataclasses.replace(section_obj, **{attr: coerced})


def _coerce(name: str, value: Any, hint: Any, base: Path) -> Any:
    """Check ``value`` against the field's type and convert paths; raise naming ``name``."""
    if hint is Duration:
        return Duration(parse_duration(name, value))
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None or value == "":
            return None
        return _coerce(name, value, options[0], base)
    if origin is Literal:
        allowed = typing.get_args(hint)
        if value not in allowed:
            raise ConfigError(
                f"{name} must be one of {', '.join(map(repr, allowed))}, not {value!r}"
            )
        return value
    if origin is tuple:
        items = value if isinstance(value, list | tuple) else [value]
        (item_type, _) = typing.get_args(hint)
        return tuple(_coerce(name, item, item_type, base) for item in items)
    if hint is Path:
        if not isinstance(value, str | os.PathLike):
            raise ConfigError(f"{name} must be a path string, not {value!r}")
        p = Path(value).expanduser()
        return p if p.is_absolute() else base / p
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{name} must be true or false, not {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ConfigError(f"{name} must be a whole number, not {value!r}")
        try:
            return int(value)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ConfigError(f"{name} must be a number, not {value!r}")
        try:
            return float(value)
        except ValueError:
            raise ConfigError(f"{name} must be a number, not {value!r}") from None
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{name} must be a string, not {value!r}")
        return value
    raise ConfigError(f"{name}: unsupported value {value!r}")


def _validate(settings: Settings) -> None:
    url = urlsplit(settings.site.base_url)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise ConfigError(
            f"site.base_url must be an absolute http(s) URL, not {settings.site.base_url!r}",
            'for example base_url = "https://news.example.org/"',
        )
    # key, value, lowest allowed, highest allowed (None: no bound)
    ranges: list[tuple[str, float, float, float | None]] = [
        ("feed.max_entries", settings.feed.max_entries, 1, None),
        ("feed.topic_min_articles", settings.feed.topic_min_articles, 2, None),
        ("feed.max_topics", settings.feed.max_topics, 0, None),
        ("digest.max_items", settings.digest.max_items, 1, None),
        ("summary.sentences", settings.summary.sentences, 1, None),
        ("summary.words", settings.summary.words, 5, None),
        ("fetch.max_bytes", settings.fetch.max_bytes, 1, None),
        ("smtp.port", settings.smtp.port, 1, 65535),
        ("jobs", settings.jobs, 0, None),
        ("schedule.misfire_grace", settings.schedule.misfire_grace, 0, None),
        ("smtp.max_per_minute", settings.smtp.max_per_minute, 0, None),
        ("signup.per_client", settings.signup.per_client, 0, None),
        ("signup.per_domain", settings.signup.per_domain, 0, None),
        ("signup.per_hour", settings.signup.per_hour, 0, None),
    ]
    for key, value, lowest, highest in ranges:
        if highest is not None and not lowest <= value <= highest:
            raise ConfigError(f"{key} must be between {lowest} and {highest}, not {value}")
        if value < lowest:
            raise ConfigError(f"{key} must be at least {lowest}, not {value}")
    settings.schedule.zone()  # every command that dates a digest needs it, not only the daemon
    templates = settings.paths.templates
    if templates is not None and not templates.is_dir():
        what = "is not a directory" if templates.exists() else "does not exist"
        raise ConfigError(
            f"paths.templates: {templates} {what}",
            "give the directory of your own templates, or leave the key out for the built-in ones",
        )
    out = settings.paths.out
    if out.exists() and not out.is_dir():
        raise ConfigError(
            f"paths.out: {out} is a file, not a directory",
            "give the directory to publish into (--out DIR or [paths] out); it is made if missing",
        )
    for hub in settings.feed.hubs:
        parts = urlsplit(hub)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(
                f"feed.hubs: {hub!r} is not an absolute http(s) URL",
                'for example hubs = ["https://pubsubhubbub.appspot.com/"]',
            )
    authority = settings.feed.id_authority
    if authority is not None and not _AUTHORITY.fullmatch(authority):
        raise ConfigError(
            f"feed.id_authority must be a host name, optionally with a path, not {authority!r}",
            'for example id_authority = "news.example.org"',
        )
    # A socket takes no timeout of 0 or less: send would end in a traceback.
    if settings.smtp.timeout <= 0:
        raise ConfigError(f"smtp.timeout must be more than 0, not {settings.smtp.timeout}")
    if settings.fetch.timeout <= 0:
        raise ConfigError(f"fetch.timeout must be more than 0, not {settings.fetch.timeout}")
    for section in _ONE_LINE:
        values = getattr(settings, section)
        for f in fields(values):
            value = getattr(values, f.name)
            if isinstance(value, str) and _CONTROL.search(value):
                raise ConfigError(
                    f"{section}.{f.name.rstrip('_')} must be one line without control "
                    f"characters, not {value!r}"
                )
    selector = settings.mail.dkim_selector
    if selector is not None and not _SELECTOR.fullmatch(selector):
        raise ConfigError(
            f"mail.dkim_selector must be a DNS label (letters, digits, '-'), not {selector!r}",
            'for example dkim_selector = "publisher2026"',
        )
    bounce = settings.mail.bounce_address
    if bounce is not None and (not _one_address(bounce) or "+" in bounce or "<" in bounce):
        raise ConfigError(
            f"mail.bounce_address must be one bare address without '+', not {bounce!r}",
            'for example bounce_address = "bounces@news.example.org"',
        )
    for key, address in (
        ("digest.from", settings.digest.from_),
        ("digest.reply_to", settings.digest.reply_to),
    ):
        if address is not None and not _one_address(address):
            raise ConfigError(
                f"{key} must be one e-mail address, not {address!r}",
                f'for example {key.partition(".")[2]} = "Morning Brief <brief@example.org>"',
            )


def _one_address(text: str) -> bool:
    """Whether ``text`` is exactly one address, bare or with a display name."""
    pairs = getaddresses([text])
    if len(pairs) != 1:
        return False
    local, _, domain = pairs[0][1].rpartition("@")
    return bool(local and domain)
