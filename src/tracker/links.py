"""The one rule for a link tracker shows or sends anywhere (page changelogs, feeds, the digest,
overrides, the site's own address): an http(s) address with a host. Anything else — a
``javascript:`` or ``data:`` link, a relative path — is no link at all. Where a link is
written into Markdown, the caller still escapes what would end it (render.changelog.safe_url).
"""

from __future__ import annotations

from urllib.parse import urlsplit


def web_url(url: str | None) -> str | None:
    """``url`` without surrounding whitespace if it is an http(s) address with a host; else
    None."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced '[' in the host
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None
