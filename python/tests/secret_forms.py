"""The one place the Python tests spell a secret every way it could leak, and look for it.

A webhook secret (or an API secret key) is 32 raw bytes, usually carried as base64. A leak
can show any spelling of those bytes, so ``forms(raw)`` lists them all: the raw bytes decoded
as latin-1, standard base64 with and without padding, URL-safe base64 with and without
padding, and hex in lower and upper case. A credential that is text (an auth token) is also
looked for as the text itself (``text_forms``).

``leaks(text, secrets)`` finds every form that appears in ``text``, whole or as any 16-character
piece of it (a truncated quote still leaks most of a key). ``assert_no_leak`` fails naming
the rendering and the form. The distinctive secrets below make a false positive or a chance
miss impossible: each form is long and contains characters no redacted text produces.
"""

from __future__ import annotations

import base64
from typing import Dict, Iterable, List, Mapping, Tuple, Union

#: Shortest piece of a form that counts as a leak.
WINDOW = 16


def _distinctive(tag: bytes) -> bytes:
    """32 bytes: a readable tag (so a latin-1 leak is obvious) padded with high bytes (so
    standard and URL-safe base64 differ, and the latin-1 form holds non-ASCII)."""
    assert len(tag) <= 24
    filler = bytes((0xF0 + i) % 256 | 0x80 for i in range(32 - len(tag)))
    raw = tag + filler
    assert len(raw) == 32
    return raw


#: Webhook secrets, one per role, so a leak names its source.
WEBHOOK_SECRET_A = _distinctive(b"KW-TEST-SECRET-A~>?")
WEBHOOK_SECRET_B = _distinctive(b"KW-TEST-SECRET-B~>?")
WEBHOOK_SECRET_ENV = _distinctive(b"KW-TEST-SECRET-ENV~>?")
WEBHOOK_SECRET_FILE = _distinctive(b"KW-TEST-SECRET-FILE~>?")
#: An API client's secret key (HMAC key) and auth token.
CLIENT_SECRET_KEY = _distinctive(b"KW-TEST-HMAC-KEY~>?")
CLIENT_AUTH_TOKEN = "tok_KwTestAuthToken_9f8e7d6c5b4a39281706"


def b64(raw: bytes) -> str:
    """Standard, padded base64: how secrets are handed to the package."""
    return base64.b64encode(raw).decode("ascii")


def forms(raw: bytes) -> Dict[str, str]:
    """Every spelling of the secret bytes ``raw`` a leak could show."""
    standard = base64.b64encode(raw).decode("ascii")
    url_safe = base64.urlsafe_b64encode(raw).decode("ascii")
    return {
        "latin-1": raw.decode("latin-1"),
        "base64": standard,
        "base64 unpadded": standard.rstrip("="),
        "url-safe base64": url_safe,
        "url-safe base64 unpadded": url_safe.rstrip("="),
        "hex": raw.hex(),
        "HEX": raw.hex().upper(),
    }


def text_forms(text: str) -> Dict[str, str]:
    """A text credential (an auth token, a secret that is not valid base64): the text itself
    and every spelling of its UTF-8 bytes."""
    return {"text": text, **{f"utf-8 {name}": value for name, value in forms(text.encode()).items()}}


Secret = Union[bytes, str]


def all_forms(secrets: Iterable[Secret]) -> List[Tuple[str, str]]:
    """(label, form) for each secret: bytes are raw secret bytes, str a text credential."""
    out: List[Tuple[str, str]] = []
    for index, secret in enumerate(secrets):
        spelled: Mapping[str, str] = forms(secret) if isinstance(secret, bytes) else text_forms(secret)
        out.extend((f"secret #{index} as {name}", value) for name, value in spelled.items())
    return out


def leaks(text: str, secrets: Iterable[Secret]) -> List[str]:
    """The forms of ``secrets`` found in ``text``, whole or as a piece of WINDOW characters."""
    found = []
    for label, form in all_forms(secrets):
        width = min(WINDOW, len(form))
        if any(form[i : i + width] in text for i in range(len(form) - width + 1)):
            found.append(label)
    return found


def assert_no_leak(renderings: Mapping[str, str], secrets: Iterable[Secret]) -> None:
    """Fails naming each rendering that shows any form of any of ``secrets``."""
    secrets = list(secrets)
    assert secrets, "nothing to look for"
    bad = {name: found for name, text in renderings.items() if (found := leaks(text, secrets))}
    assert not bad, f"secret shown: {bad}"
