"""E-mail addresses and websites as lists write them.

``mailto:Info@X.nl``, ``info@x.nl (secretariaat)``, ``www.x.nl``, ``x.nl/aanbod`` → a plain
lower-case address and an ``https://`` URL. Anything else is unreadable and kept as text.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_URL = re.compile(r"(?:https?://)?(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?::\d+)?(?:/[^\s,;]*)?",
                  re.I)


def normalize_email(text: object) -> tuple[str | None, bool]:
    """(address, readable). Empty is readable with no address."""
    if text is None or not str(text).strip():
        return None, True
    match = _EMAIL.search(str(text).replace("mailto:", ""))
    return (match.group(0).lower(), True) if match else (None, False)


def normalize_website(text: object) -> tuple[str | None, bool]:
    """(``https://…`` URL, readable). ``www.x.nl`` gets ``https://``; an e-mail is not a site."""
    if text is None or not str(text).strip():
        return None, True
    raw = str(text).strip()
    if "@" in raw and not raw.lower().startswith("http"):
        return None, False
    match = _URL.search(raw)
    if not match:
        return None, False
    url = match.group(0).rstrip(".)")
    if not re.match(r"https?://", url, re.I):
        url = "https://" + url
    scheme, _, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}", True


def host_of(url: str | None) -> str | None:
    """``https://www.X.nl/a`` → ``x.nl``: what two websites must share to be the same site."""
    if not url:
        return None
    host = re.sub(r"^[a-z]+://", "", url.lower()).split("/")[0].split(":")[0]
    return host.removeprefix("www.") or None
