"""Sending the digest through a real SMTP server (aiosmtpd on 127.0.0.1), then reading it back."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tracker.config import Config
from tracker.errors import TrackerError
from tracker.mail import SmtpSettings, build_message, send_message
from tracker.model import Event
from tracker.pipeline import run_digest
from tracker.render.digest import Period, build_digest

W46 = Period.iso_week("2025-W46")
# plain AUTH on loopback is what the login tests mean to exercise; aiosmtpd warns about it
PLAIN_AUTH = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
PASSWORD = "s3cret-Pa55word"


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(e.content, policy=policy.default)  # type: ignore[misc]
                for e in self.envelopes]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                 auth_data: Any) -> AuthResult:
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == b"digest"
          and auth_data.password == PASSWORD.encode())
    return AuthResult(success=ok, handled=False)


def start(inbox: Inbox, **kwargs: Any) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    controller = start(handler)
    yield handler, controller.port
    controller.stop()


@pytest.fixture
def auth_inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    controller = start(handler, authenticator=authenticate, auth_require_tls=False,
                       auth_required=True)
    yield handler, controller.port
    controller.stop()


def env(port: int, **extra: str) -> dict[str, str]:
    values = {"TRACKER_SMTP_HOST": "127.0.0.1", "TRACKER_SMTP_PORT": str(port),
              "TRACKER_SMTP_FROM": "Digest <digest@free-llm.example>",
              "TRACKER_SMTP_TO": "a@example.com, b@example.com",
              "TRACKER_SMTP_SECURITY": "none"}
    values.update({f"TRACKER_SMTP_{k}": v for k, v in extra.items()})
    return values


def events() -> list[Event]:
    common: dict[str, Any] = {"commit": "c" * 40, "path": "services/api/acme/_index.md",
                              "service": "acme", "service_name": "Acme API", "provider": "acme",
                              "change_pct": None, "old": None, "new": None, "field": None}
    return [
        Event(id="e1", date="2025-11-12T10:00:00+08:00", model=None, kind="quota_cut",
              severity="breaking", **{**common, "field": "requests_per_day", "old": 14400,
                                      "new": 1000, "change_pct": -93.06}),
        Event(id="e2", date="2025-11-13T10:00:00+08:00", model="acme-fast", kind="model_added",
              severity="notable", **common),
    ]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    config = Config(site_url="https://free-llm.example")
    config.root = tmp_path
    return config


def test_settings_from_env() -> None:
    settings = SmtpSettings.from_env(env(2525, USER="digest", PASSWORD=PASSWORD))
    assert settings.recipients == ("a@example.com", "b@example.com")
    assert (settings.host, settings.port, settings.security) == ("127.0.0.1", 2525, "none")
    assert PASSWORD not in repr(settings)
    defaults = {"TRACKER_SMTP_HOST": "smtp.example.com", "TRACKER_SMTP_FROM": "d@x.example",
                "TRACKER_SMTP_TO": "r@x.example"}
    assert SmtpSettings.from_env(defaults).port == 587
    assert SmtpSettings.from_env(defaults).security == "starttls"
    assert SmtpSettings.from_env({**defaults, "TRACKER_SMTP_SECURITY": "ssl"}).port == 465
    # an unset secret arrives in CI as an empty string: the default applies
    assert SmtpSettings.from_env({**defaults, "TRACKER_SMTP_PORT": ""}).port == 587


@pytest.mark.parametrize("missing", ["HOST", "FROM", "TO"])
def test_missing_setting_is_named(missing: str) -> None:
    values = env(2525, PASSWORD=PASSWORD)
    del values[f"TRACKER_SMTP_{missing}"]
    with pytest.raises(TrackerError, match=f"TRACKER_SMTP_{missing} is not set"):
        SmtpSettings.from_env(values)


@pytest.mark.parametrize("name, value", [("SECURITY", "tls"), ("PORT", "smtp"), ("PORT", "0"),
                                         ("TO", " , ")])
def test_bad_setting_is_named(name: str, value: str) -> None:
    with pytest.raises(TrackerError, match=f"TRACKER_SMTP_{name}"):
        SmtpSettings.from_env(env(2525, **{name: value}))


def test_send_and_read_back(inbox: tuple[Inbox, int], config: Config, tmp_path: Path) -> None:
    handler, port = inbox
    outcome = run_digest(events(), config, W46, "zh", tmp_path / "out", send=True,
                         already_sent=set(), environ=env(port))
    assert outcome.sent and outcome.skipped_reason is None
    assert [p.name for p in outcome.paths] == ["2025-W46.html", "2025-W46.txt", "2025-W46.eml"]
    (envelope,) = handler.envelopes
    assert envelope.mail_from == "digest@free-llm.example"
    assert envelope.rcpt_tos == ["a@example.com", "b@example.com"]

    (received,) = handler.messages()
    assert received.get_content_type() == "multipart/alternative"
    plain, related = received.iter_parts()  # type: ignore[misc]
    assert plain.get_content_type() == "text/plain"
    # acme's quota cut is breaking: its chart travels as a PNG beside the HTML
    assert related.get_content_type() == "multipart/related"
    html, png = related.iter_parts()  # type: ignore[misc]
    assert html.get_content_type() == "text/html"
    assert plain.get_content_charset() == html.get_content_charset() == "utf-8"
    # SMTP carries CRLF line endings; the text is otherwise exactly the digest's
    assert plain.get_content().replace("\r\n", "\n") == outcome.digest.text
    assert html.get_content().replace("\r\n", "\n") == outcome.digest.mail_html
    (image,) = outcome.digest.images
    assert png.get_content_type() == "image/png" and png["Content-ID"] == f"<{image.cid}>"
    assert png.get_content() == image.png and image.png.startswith(b"\x89PNG\r\n\x1a\n")
    assert png.get_content_disposition() == "inline" and png.get_filename() == "acme.png"
    assert f'src="cid:{image.cid}"' in html.get_content()
    assert "- Acme API: 每日请求数 14,400 → 1,000（-93%）" in plain.get_content()
    assert received["Subject"] == "免费 LLM API 周报 2025-W46：1 项配额削减、1 个新模型"
    assert "=?utf-8?" in envelope.content.decode("ascii")  # the subject went out encoded
    assert received["Message-ID"] == "<digest-2025-W46.zh@free-llm.example>"
    assert "List-Unsubscribe" not in received


def test_already_sent_is_not_sent_again(inbox: tuple[Inbox, int], config: Config) -> None:
    handler, port = inbox
    outcome = run_digest(events(), config, W46, "en", None, send=True,
                         already_sent={"2025-W46"}, environ=env(port))
    assert not outcome.sent and "already sent" in (outcome.skipped_reason or "")
    assert handler.envelopes == [] and outcome.paths == []
    forced = run_digest(events(), config, W46, "en", None, send=True,
                        already_sent={"2025-W46"}, force=True, environ=env(port))
    assert forced.sent and len(handler.envelopes) == 1


def test_empty_week_sends_nothing(inbox: tuple[Inbox, int], config: Config,
                                  tmp_path: Path) -> None:
    handler, port = inbox
    empty = Period.iso_week("2025-W40")
    outcome = run_digest(events(), config, empty, "en", tmp_path, send=True, already_sent=set(),
                         environ=env(port))
    assert not outcome.sent and "no changes" in (outcome.skipped_reason or "")
    assert handler.envelopes == [] and all(p.exists() for p in outcome.paths)
    outcome = run_digest(events(), config, empty, "en", tmp_path, send=True, already_sent=set(),
                         send_empty=True, environ=env(port))
    assert outcome.sent
    assert handler.messages()[0]["Subject"] == "Free LLM API weekly 2025-W40: no changes"


def test_not_asked_to_send_writes_files_only(inbox: tuple[Inbox, int], config: Config,
                                             tmp_path: Path) -> None:
    handler, _port = inbox
    outcome = run_digest(events(), config, W46, "en", tmp_path, send=False, already_sent=set(),
                         environ={})
    assert not outcome.sent and handler.envelopes == [] and len(outcome.paths) == 3
    eml = message_from_bytes(outcome.paths[2].read_bytes(), policy=policy.default)
    assert eml["From"] == "Free LLM API weekly <digest@free-llm.example>"


def test_refused_connection(config: Config, tmp_path: Path) -> None:
    closed = free_port()
    with pytest.raises(TrackerError) as info:
        run_digest(events(), config, W46, "en", tmp_path, send=True, already_sent=set(),
                   environ=env(closed, USER="digest", PASSWORD=PASSWORD))
    error = info.value
    assert f"127.0.0.1:{closed}" in str(error)
    for text in (str(error), repr(error), error.hint or ""):
        assert PASSWORD not in text
    assert error.__cause__ is None  # the chained socket error is not carried along
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "2025-W46.eml", "2025-W46.html", "2025-W46.txt"]


@PLAIN_AUTH
def test_login(auth_inbox: tuple[Inbox, int], config: Config) -> None:
    handler, port = auth_inbox
    outcome = run_digest(events(), config, W46, "en", None, send=True, already_sent=set(),
                         environ=env(port, USER="digest", PASSWORD=PASSWORD))
    assert outcome.sent and len(handler.envelopes) == 1


@PLAIN_AUTH
def test_wrong_credentials(auth_inbox: tuple[Inbox, int], config: Config) -> None:
    handler, port = auth_inbox
    wrong = "not-" + PASSWORD
    with pytest.raises(TrackerError) as info:
        run_digest(events(), config, W46, "en", None, send=True, already_sent=set(),
                   environ=env(port, USER="digest", PASSWORD=wrong))
    message = str(info.value)
    assert "refused the login of 'digest'" in message and "TRACKER_SMTP_PASSWORD" in message
    assert wrong not in message and PASSWORD not in message
    assert handler.envelopes == []


def test_starttls_not_offered(inbox: tuple[Inbox, int], config: Config) -> None:
    _, port = inbox
    with pytest.raises(TrackerError, match="TRACKER_SMTP_SECURITY=ssl"):
        run_digest(events(), config, W46, "en", None, send=True, already_sent=set(),
                   environ=env(port, SECURITY="starttls"))


def test_list_unsubscribe(inbox: tuple[Inbox, int], config: Config) -> None:
    handler, port = inbox
    config.digest.unsubscribe = "mailto:leave@free-llm.example?subject=unsubscribe"
    run_digest(events(), config, W46, "en", None, send=True, already_sent=set(),
               environ=env(port))
    received = handler.messages()[0]
    assert received["List-Unsubscribe"] == "<mailto:leave@free-llm.example?subject=unsubscribe>"
    assert "List-Unsubscribe-Post" not in received
    assert "mailto:leave@free-llm.example?subject=unsubscribe" in received.get_body(
        ("plain",)).get_content()  # type: ignore[union-attr]

    digest = build_digest(events(), config, W46, "en")
    one_click = build_message(digest, "d@x.example", ["r@x.example"],
                              "https://free-llm.example/unsubscribe")
    assert one_click["List-Unsubscribe"] == "<https://free-llm.example/unsubscribe>"
    assert one_click["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    for bad in ("http://free-llm.example/unsubscribe", "javascript:alert(1)", "leave@x.example"):
        with pytest.raises(TrackerError, match="mailto: or https:"):
            build_message(digest, "d@x.example", ["r@x.example"], bad)


def test_send_message_directly(inbox: tuple[Inbox, int], config: Config) -> None:
    handler, port = inbox
    digest = build_digest(events(), config, W46, "en")
    settings = SmtpSettings.from_env(env(port))
    message = build_message(digest, settings.sender, settings.recipients)
    assert send_message(message, settings) == {}
    assert handler.messages()[0]["Subject"] == digest.subject


def test_implicit_tls_against_a_plain_server(inbox: tuple[Inbox, int], config: Config) -> None:
    _, port = inbox
    with pytest.raises(TrackerError, match=f"TLS with 127.0.0.1:{port} failed"):
        run_digest(events(), config, W46, "en", None, send=True, already_sent=set(),
                   environ=env(port, SECURITY="ssl", USER="digest", PASSWORD=PASSWORD))


def test_without_a_from_address_the_digest_comes_from_the_sites_domain(
        inbox: tuple[Inbox, int], tmp_path: Path) -> None:
    handler, port = inbox
    config = Config(site_url="https://getfreeai.example/zh-cn")
    config.root = tmp_path
    settings = env(port)
    del settings["TRACKER_SMTP_FROM"]
    outcome = run_digest(events(), config, W46, "en", None, send=True, already_sent=set(),
                         environ=settings)
    assert outcome.sent
    (envelope,) = handler.envelopes
    assert envelope.mail_from == "digest@getfreeai.example"
    (received,) = handler.messages()
    assert received["From"] == "Free LLM API weekly <digest@getfreeai.example>"
