"""DKIM: each message signed over its final bytes by the program (dkimpy), with keys made on
first use and kept in the state like the unsubscribe key.

``[mail] dkim_selector`` turns it on; the signing domain is the From address's, so the
signature is aligned for DMARC. An RSA 2048 key always; with ``dkim_ed25519`` an Ed25519
key too (RFC 8463), under the selector "<selector>-ed25519", each message then carrying
both signatures (receivers that do not know Ed25519 ignore that one). ``publisher dkim``
prints the DNS records to publish (``dns_records``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from ..config import Settings
from ..render.message import sender_address
from ..store import Store

# The names under which the keys are kept in the state (Store.kept).
RSA_KEY = "dkim-rsa"
ED25519_KEY = "dkim-ed25519"
# The header fields signed, when present: what a receiver shows or acts on. From is signed
# twice, so that no second From can be added without breaking the signature (RFC 6376,
# 8.15); the one-click unsubscribe headers must be covered for Gmail to offer its button.
SIGNED = (
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "reply-to",
    "list-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "precedence",
    "mime-version",
    "content-type",
)


def _new_rsa() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return pem.decode("ascii")


def _new_ed25519() -> str:
    key = ed25519.Ed25519PrivateKey.generate()
    seed = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(seed).decode("ascii")


def signing_domain(settings: Settings) -> str:
    """The d= of every signature: the From address's domain (aligned for DMARC)."""
    return sender_address(settings).rpartition("@")[2].lower()


@dataclass(frozen=True)
class Key:
    """One signing key: its selector, algorithm and private key as dkimpy takes it."""

    selector: str
    algorithm: str  # "rsa-sha256" or "ed25519-sha256"
    private: bytes

    def public(self) -> str:
        """The p= value of the key's DNS record."""
        if self.algorithm == "rsa-sha256":
            loaded = serialization.load_pem_private_key(self.private, password=None)
            assert isinstance(loaded, rsa.RSAPrivateKey)
            der = loaded.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            return base64.b64encode(der).decode("ascii")
        seed = base64.b64decode(self.private)
        public = ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key()
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.b64encode(raw).decode("ascii")

    def record(self) -> str:
        """The TXT record's value."""
        kind = "rsa" if self.algorithm == "rsa-sha256" else "ed25519"
        return f"v=DKIM1; k={kind}; p={self.public()}"


def keys(store: Store, settings: Settings) -> tuple[Key, ...]:
    """The signing keys ``[mail]`` asks for, made on first use (none without a selector)."""
    selector = settings.mail.dkim_selector
    if not selector:
        return ()
    found = [Key(selector, "rsa-sha256", store.kept(RSA_KEY, _new_rsa).encode("ascii"))]
    if settings.mail.dkim_ed25519:
        seed = store.kept(ED25519_KEY, _new_ed25519).encode("ascii")
        found.append(Key(f"{selector}-ed25519", "ed25519-sha256", seed))
    return tuple(found)


class Signer:
    """Signs messages with the keys of the state (nothing when DKIM is off)."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.keys = keys(store, settings)
        self.domain = signing_domain(settings).encode("ascii")

    def sign(self, message: bytes) -> bytes:
        """``message`` with a DKIM-Signature per key prepended, each over these exact
        bytes (CRLF line ends, as they go on the wire)."""
        signed = message
        for key in self.keys:
            present = _header_names(signed)
            include = [h.encode() for h in SIGNED if h in present] + [b"from"]
            header = dkim.sign(
                signed,
                key.selector.encode("ascii"),
                self.domain,
                key.private,
                canonicalize=(b"relaxed", b"relaxed"),
                include_headers=include,
                signature_algorithm=key.algorithm.encode("ascii"),
                linesep=b"\r\n",
            )
            signed = header + signed
        return signed


def _header_names(message: bytes) -> set[str]:
    head = message.split(b"\r\n\r\n", 1)[0]
    names = set()
    for line in head.split(b"\r\n"):
        if line and line[:1] not in (b" ", b"\t") and b":" in line:
            names.add(line.split(b":", 1)[0].strip().lower().decode("ascii", "replace"))
    return names


def dns_records(store: Store, settings: Settings) -> list[tuple[str, str]]:
    """(name, TXT value) of each key's DNS record, making the keys if need be."""
    domain = signing_domain(settings)
    return [(f"{key.selector}._domainkey.{domain}", key.record()) for key in keys(store, settings)]


def dkim_records(settings: Settings) -> list[tuple[str, str]]:
    """``dns_records`` of the state at ``settings`` (``publisher dkim``)."""
    with Store.open(settings.paths.state) as store:
        return dns_records(store, settings)
