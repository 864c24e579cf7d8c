"""Settings the services need, attached to each database session by the app."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from webapp.services.file_store import FileStore


@dataclass(frozen=True)
class MailSettings:
    """MAIL_SERVER and its friends; no server: mail is off."""

    server: str | None
    port: int = 25
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    use_tls: bool = False
    sender: str = "khenthuong@localhost"

    @property
    def enabled(self) -> bool:
        """Whether a server is configured."""
        return bool(self.server)


@dataclass(frozen=True)
class ServiceSettings:
    """What use cases read from configuration; never the Flask config directly."""

    process_key: str = "award_nomination"
    time_zone: str = "Asia/Ho_Chi_Minh"
    token_lifetime: timedelta = timedelta(hours=12)
    upload_dir: Path = Path("instance/uploads")
    # Where uploads and generated papers are kept (file_store.py); None: the upload folder.
    file_store: FileStore | None = None
    bpmn_dir: Path = Path("bpmn")
    # Signed PDFs: the trusted root certificates' files and the time one check may take.
    signature_trust_roots: tuple[Path, ...] = ()
    signature_check_seconds: float = 10.0
    # The issuing body's abbreviation in the numbers the registers give ("12/TTr-STC").
    register_body: str = "STC"
    # E-mail: outbox rows are written only when a mail server is configured (MAIL_SERVER);
    # links in mail are absolute, from the address users open the application at.
    mail: MailSettings = field(default_factory=lambda: MailSettings(server=None))
    app_base_url: str = "http://127.0.0.1:5000"

    @property
    def mail_enabled(self) -> bool:
        """Whether mail is sent at all."""
        return self.mail.enabled


DEFAULT_SETTINGS = ServiceSettings()


def settings_of(session: Session) -> ServiceSettings:
    """The settings attached to `session`, or the defaults."""
    settings = session.info.get("settings")
    return settings if isinstance(settings, ServiceSettings) else DEFAULT_SETTINGS
