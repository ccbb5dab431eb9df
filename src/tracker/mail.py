"""The digest's transport: SMTP settings from the environment, the MIME message, the SMTP
session. When to send is the use case's (tracker.pipeline.run_digest).

The SMTP password is kept out of every repr, message and exception text.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import urlsplit

from tracker.errors import TrackerError
from tracker.render.digest import Digest, Period

ENV_PREFIX = "TRACKER_SMTP_"
SECURITIES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class SmtpSettings:
    """Where and as whom to send; ``password`` is left out of repr and never echoed."""

    host: str
    sender: str
    recipients: tuple[str, ...]
    port: int = 587
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    security: str = "starttls"
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_env(cls, environ: Mapping[str, str],
                 default_sender: str | None = None) -> SmtpSettings:
        """TRACKER_SMTP_HOST, _PORT, _USER, _PASSWORD, _FROM, _TO (comma-separated), _SECURITY.
        Without _FROM the digest comes from ``default_sender`` (an address at the site's own
        domain), when one is given."""
        def get(name: str) -> str:
            return (environ.get(ENV_PREFIX + name) or "").strip()

        for name in ("HOST", "FROM", "TO"):
            if not get(name) and not (name == "FROM" and default_sender):
                raise TrackerError(f"{ENV_PREFIX}{name} is not set",
                                   hint=f"set {ENV_PREFIX}{name} to send the digest (in CI: "
                                        "from a repository secret)")
        security = get("SECURITY").lower() or "starttls"
        if security not in SECURITIES:
            raise TrackerError(f"{ENV_PREFIX}SECURITY is {security!r}",
                               hint="use starttls (port 587), ssl (port 465) or none")
        port_text = get("PORT")
        try:
            port = int(port_text) if port_text else DEFAULT_PORTS[security]
        except ValueError:
            raise TrackerError(f"{ENV_PREFIX}PORT is not a port number: {port_text!r}",
                               hint="for example 587") from None
        if not 0 < port < 65536:
            raise TrackerError(f"{ENV_PREFIX}PORT {port} is out of range", hint="1 to 65535")
        recipients = tuple(a.strip() for a in get("TO").split(",") if a.strip())
        if not recipients:
            raise TrackerError(f"{ENV_PREFIX}TO names no address",
                               hint="a comma-separated list of addresses")
        return cls(host=get("HOST"), sender=get("FROM") or default_sender or "",
                   recipients=recipients, port=port,
                   user=get("USER") or None,
                   # a password may legitimately have surrounding spaces: not stripped
                   password=environ.get(ENV_PREFIX + "PASSWORD") or None,
                   security=security)

    def scrub(self, message: str) -> str:
        """``message`` with the password (should a server echo it) masked."""
        if self.password:
            message = message.replace(self.password, "***")
        return message


def _unsubscribe_headers(address: str) -> dict[str, str]:
    scheme = urlsplit(address).scheme.lower()
    if scheme == "mailto":
        return {"List-Unsubscribe": f"<{address}>"}
    if scheme == "https":
        # RFC 8058 one-click: mail clients POST to the https address
        return {"List-Unsubscribe": f"<{address}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    raise TrackerError(f"digest.unsubscribe must be a mailto: or https: address, not {address!r}",
                       path="tracker.yaml", hint="for example mailto:digest-unsubscribe@your.site")


def message_date(period: Period) -> datetime:
    """A digest's Date: the end of its period, 00:00 UTC, so the .eml bytes are reproducible."""
    return datetime.combine(period.end, time(0, 0), tzinfo=UTC)


def message_id(digest: Digest) -> str:
    """``<digest-2025-W46.zh@example.org>``: stable, so a re-send is recognised as the same mail."""
    host = urlsplit(digest.site_url).hostname or "tracker"
    # '..' (since..until keys) is not allowed in a msg-id's dot-atom
    left = f"digest-{digest.key}.{digest.lang}".replace("..", "--")
    return f"<{left}@{host}>"


def build_message(digest: Digest, sender: str, recipients: Sequence[str],
                  unsubscribe: str | None = None) -> EmailMessage:
    """multipart/alternative, text/plain first then text/html, UTF-8, deterministic headers.

    With charts, the HTML and their PNGs go in a multipart/related part (RFC 2387), each PNG
    named by the Content-ID its ``cid:`` address gives: shown with nothing loaded remotely."""
    msg = EmailMessage()
    msg["Subject"] = digest.subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients) if recipients else "undisclosed-recipients:;"
    msg["Date"] = format_datetime(message_date(digest.period))
    msg["Message-ID"] = message_id(digest)
    msg["Auto-Submitted"] = "auto-generated"
    if unsubscribe:
        for name, value in _unsubscribe_headers(unsubscribe).items():
            msg[name] = value
    # quoted-printable keeps every line 7-bit and short whatever the server supports
    msg.set_content(digest.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(digest.mail_html or digest.html, subtype="html", charset="utf-8",
                        cte="quoted-printable")
    content = hashlib.sha256((digest.text + (digest.mail_html or digest.html)).encode("utf-8"))
    # the second part, text/html; add_related turns it into multipart/related in place
    html_part = list(msg.iter_parts())[1]
    assert isinstance(html_part, EmailMessage)
    if digest.images:
        for image in digest.images:
            content.update(image.png)
            html_part.add_related(image.png, maintype="image", subtype="png",
                                  cid=f"<{image.cid}>", filename=image.filename,
                                  disposition="inline")
    # A boundary would otherwise be random; one derived from the content keeps the .eml
    # reproducible, and "=_" can never occur in quoted-printable or base64 text.
    digest_hash = content.hexdigest()[:32]
    msg.set_boundary(f"=_tracker_{digest_hash}")
    if digest.images:
        html_part.set_boundary(f"=_tracker_{digest_hash}_related")
    # after set_content, which clears every Content-* header
    msg["Content-Language"] = "en" if digest.lang == "en" else "zh-CN"
    return msg


def send_message(msg: EmailMessage, settings: SmtpSettings) -> dict[str, tuple[int, bytes]]:
    """Deliver over SMTP; returns the recipients the server refused (the others got it).

    Every failure — connection refused, timeout, TLS, login, all recipients refused — is a
    TrackerError saying which server and what to check, never carrying the password.
    """
    where = f"{settings.host}:{settings.port}"
    context = ssl.create_default_context()
    try:
        smtp: smtplib.SMTP
        if settings.security == "ssl":
            smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                    context=context)
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with smtp:
            if settings.security == "starttls":
                smtp.starttls(context=context)
            if settings.user:
                smtp.login(settings.user, settings.password or "")
            return smtp.send_message(msg, from_addr=settings.sender,
                                     to_addrs=list(settings.recipients))
    except smtplib.SMTPAuthenticationError as exc:
        raise _failure(settings, f"{where} refused the login of {settings.user!r}: "
                       f"{_reply(exc.smtp_code, exc.smtp_error)}",
                       "check TRACKER_SMTP_USER and TRACKER_SMTP_PASSWORD") from None
    except smtplib.SMTPNotSupportedError as exc:
        hint = ("set TRACKER_SMTP_SECURITY=ssl for implicit TLS (port 465), or check the port"
                if settings.security == "starttls" else "check the server's requirements")
        raise _failure(settings, f"{where} does not support this: {exc}", hint) from None
    except smtplib.SMTPRecipientsRefused as exc:
        refused = ", ".join(sorted(exc.recipients))
        raise _failure(settings, f"{where} refused every recipient: {refused}",
                       "check TRACKER_SMTP_TO") from None
    except smtplib.SMTPSenderRefused as exc:
        raise _failure(settings, f"{where} refused the sender {exc.sender!r}: "
                       f"{_reply(exc.smtp_code, exc.smtp_error)}",
                       "check TRACKER_SMTP_FROM; many servers only accept their user's address"
                       ) from None
    except smtplib.SMTPResponseException as exc:
        raise _failure(settings, f"{where} answered {_reply(exc.smtp_code, exc.smtp_error)}",
                       "check the SMTP settings") from None
    except ssl.SSLError as exc:
        raise _failure(settings, f"TLS with {where} failed: {exc.reason or exc}",
                       "with port 465 use TRACKER_SMTP_SECURITY=ssl, with 587 starttls") from None
    except TimeoutError:
        raise _failure(settings, f"{where} did not answer within {settings.timeout:g} s",
                       "check TRACKER_SMTP_HOST and TRACKER_SMTP_PORT") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise _failure(settings, f"could not send through {where}: {exc}",
                       "check TRACKER_SMTP_HOST and TRACKER_SMTP_PORT") from None


def _reply(code: int, error: bytes | str) -> str:
    text = error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
    return f"{code} {text}".strip()


def _failure(settings: SmtpSettings, message: str, hint: str) -> TrackerError:
    return TrackerError(settings.scrub(message), hint=hint)
