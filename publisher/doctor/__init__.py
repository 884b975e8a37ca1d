"""``publisher doctor``: what an operator gets wrong before the first send, each finding
saying what to fix.

- the SMTP relay: reachable, TLS as configured, the login accepted;
- the From domain's DNS: an SPF record for the return path's domain, aligned with the From
  address; the DKIM key of ``[mail] dkim_selector`` published and the one in the state; a
  DMARC record, and its alignment modes met by the return path and the signature;
- ``base_url``: https, which RFC 8058 one-click unsubscription needs;
- the pages ``serve`` answers (unsubscribe, preferences, signup) reachable at ``base_url``.

The lookups and the request go through ``network`` only; the judging here is plain code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..config import Settings
from ..errors import DeliveryError
from ..mailing.dkim import keys, signing_domain
from ..mailing.smtp import Temporary, probe
from ..render.message import PREFERENCES_PATH, UNSUBSCRIBE_PATH, sender_address
from ..store import Store
from .network import LookupFailed, Resolver, get

# Second-level labels under which registries hand out names (example.co.uk): without the
# public suffix list, the organizational domain of RFC 7489 is found with these.
_SECOND_LEVEL = {"co", "com", "net", "org", "ac", "gov", "edu", "ne", "or", "go"}


@dataclass(frozen=True)
class Finding:
    """One thing checked: "ok", "warning" (works, could be better) or "problem" (mail will
    suffer), what was found, and what to do about it."""

    level: str
    subject: str
    found: str
    fix: str = ""

    def line(self) -> str:
        """The finding as the command prints it."""
        text = f"[{self.level}] {self.subject}: {self.found}"
        return f"{text}\n    fix: {self.fix}" if self.fix else text


def organizational(domain: str) -> str:
    """The organizational domain of ``domain`` (RFC 7489, 3.2), approximately."""
    labels = domain.lower().rstrip(".").split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def aligned(one: str, other: str, mode: str) -> bool:
    """Whether two domains align: equal (strict, "s"), or of one organizational domain."""
    if mode == "s":
        return one.lower() == other.lower()
    return organizational(one) == organizational(other)


def tags(record: str) -> dict[str, str]:
    """The tag=value pairs of a DKIM or DMARC record."""
    pairs = (item.split("=", 1) for item in record.split(";") if "=" in item)
    return {name.strip().lower(): value.strip() for name, value in pairs}


def diagnose(settings: Settings, *, nameserver: str | None = None) -> list[Finding]:
    """Every finding, in the order of the module's list."""
    findings = [_smtp(settings)]
    resolver = Resolver(nameserver)
    from_domain = signing_domain(settings)
    bounce = settings.mail.bounce_address
    envelope = (bounce or sender_address(settings)).rpartition("@")[2].lower()
    try:
        dmarc = _dmarc_record(resolver, from_domain)
        findings.append(_spf(resolver, envelope, from_domain, dmarc))
        findings.extend(_dkim(resolver, settings))
        findings.append(_dmarc(dmarc, from_domain))
    except LookupFailed as exc:
        findings.append(
            Finding("problem", "DNS", str(exc), "check the name server, or try again later")
        )
    findings.append(_https(settings))
    findings.extend(_endpoints(settings))
    return findings


def _smtp(settings: Settings) -> Finding:
    cfg = settings.smtp
    try:
        reached = probe(settings)
    except DeliveryError as exc:
        return Finding("problem", "SMTP", exc.message, exc.hint or "")
    except Temporary as exc:
        return Finding(
            "problem",
            "SMTP",
            str(exc),
            f"check [smtp] host and port ({cfg.host}:{cfg.port}) and that this machine may "
            "connect to it (a firewall, a provider blocking port 25)",
        )
    if cfg.security == "none" and cfg.host not in ("localhost", "127.0.0.1", "::1"):
        return Finding(
            "warning",
            "SMTP",
            reached,
            'the password and the mail cross the network in clear: use security = "starttls"',
        )
    return Finding("ok", "SMTP", reached)


def _spf(resolver: Resolver, envelope: str, from_domain: str, dmarc: str | None) -> Finding:
    records = [r for r in resolver.txt(envelope) if r.lower().startswith("v=spf1")]
    subject = f"SPF of {envelope}"
    if not records:
        return Finding(
            "problem",
            subject,
            "no SPF record: receivers cannot tell the relay may send for the domain",
            f"publish a TXT record at {envelope} such as \"v=spf1 include:<your relay's "
            'domain> -all" (your relay documents the include)',
        )
    if len(records) > 1:
        return Finding(
            "problem",
            subject,
            f"{len(records)} SPF records: receivers treat that as an error (RFC 7208, 4.5)",
            "merge them into one record",
        )
    record = records[0]
    mode = tags(dmarc or "").get("aspf", "r")
    if not aligned(envelope, from_domain, mode):
        return Finding(
            "problem" if dmarc else "warning",
            subject,
            f"the return path's domain {envelope} does not align with the From domain "
            f"{from_domain}{' (strict aspf=s)' if mode == 's' else ''}: SPF cannot pass DMARC",
            "use a [mail] bounce_address in the From address's domain",
        )
    terms = record.lower().split()
    if "+all" in terms or "all" in terms:
        return Finding(
            "problem",
            subject,
            f"{record!r} lets anyone send as {envelope}",
            "end it with -all (or ~all) instead",
        )
    if not any(t.endswith("all") for t in terms) and not any(
        t.startswith("redirect=") for t in terms
    ):
        return Finding("warning", subject, f"{record!r} ends without an all", "end it with -all")
    return Finding("ok", subject, record)


def _dkim(resolver: Resolver, settings: Settings) -> list[Finding]:
    if not settings.mail.dkim_selector:
        return [
            Finding(
                "problem",
                "DKIM",
                "messages are not signed: Gmail and Yahoo ask bulk senders to sign",
                "set [mail] dkim_selector, then publish the record `publisher dkim` prints",
            )
        ]
    domain = signing_domain(settings)
    findings = []
    with Store.open(settings.paths.state) as store:
        ours = keys(store, settings)
    for key in ours:
        name = f"{key.selector}._domainkey.{domain}"
        published = [r for r in resolver.txt(name) if "p=" in r]
        if not published:
            findings.append(
                Finding(
                    "problem",
                    f"DKIM {key.selector}",
                    f"no key published at {name}: every signature fails",
                    "publish the TXT record `publisher dkim` prints",
                )
            )
        elif not any(_compact(tags(r).get("p", "")) == key.public() for r in published):
            findings.append(
                Finding(
                    "problem",
                    f"DKIM {key.selector}",
                    f"the key published at {name} is not the one in the state",
                    "publish the record `publisher dkim` prints now (or restore the state "
                    "that holds the published key)",
                )
            )
        else:
            findings.append(
                Finding("ok", f"DKIM {key.selector}", f"{name} holds our {key.algorithm} key")
            )
    return findings


def _compact(value: str) -> str:
    return re.sub(r"\s+", "", value)


def _dmarc_record(resolver: Resolver, domain: str) -> str | None:
    for name in dict.fromkeys([domain, organizational(domain)]):
        for record in resolver.txt(f"_dmarc.{name}"):
            if record.lower().replace(" ", "").startswith("v=dmarc1"):
                return record
    return None


def _dmarc(record: str | None, from_domain: str) -> Finding:
    subject = f"DMARC of {from_domain}"
    if record is None:
        return Finding(
            "problem",
            subject,
            "no DMARC record: Gmail and Yahoo require one of bulk senders",
            f'publish a TXT record at _dmarc.{from_domain} such as "v=DMARC1; p=none; '
            f'rua=mailto:dmarc@{from_domain}", and tighten p= once reports show all passes',
        )
    policy = tags(record).get("p", "")
    if policy not in ("none", "quarantine", "reject"):
        return Finding("problem", subject, f"{record!r} has no valid p=", "add p=none")
    return Finding("ok", subject, f"{record} (the DKIM signature's d= is {from_domain})")


def _https(settings: Settings) -> Finding:
    if urlsplit(settings.base_url).scheme == "https":
        return Finding("ok", "base_url", settings.base_url)
    return Finding(
        "problem",
        "base_url",
        f"{settings.base_url} is not https: mail carries no one-click unsubscribe (RFC 8058 "
        "needs https), and Gmail and Yahoo require it of bulk senders",
        "serve the site over https and set [site] base_url to its https:// address",
    )


def _endpoints(settings: Settings) -> list[Finding]:
    findings = []
    for path in (UNSUBSCRIBE_PATH, PREFERENCES_PATH):
        url = settings.url(path)
        try:
            fetched = get(url)
        except OSError as exc:
            findings.append(
                Finding(
                    "problem",
                    f"serve at {url}",
                    f"cannot be reached: {exc}",
                    "run `publisher serve` and have the web server pass this path to it "
                    "(docs/deploy.md)",
                )
            )
            continue
        # Only the pages serve answers say no-store: a static 200 is not them.
        if fetched.status != 200 or "no-store" not in fetched.cache_control:
            findings.append(
                Finding(
                    "problem",
                    f"serve at {url}",
                    f"answered {fetched.status} ({fetched.content_type or 'no type'}), not "
                    "publisher serve's page",
                    "have the web server pass this path to `publisher serve` (docs/deploy.md)",
                )
            )
            continue
        findings.append(Finding("ok", f"serve at {url}", "answered by publisher serve"))
    return findings
