"""The notifications service's settings: the shared ones (`partia_kit.settings`) and its own, read
from PARTIA_* environment variables (or a .env file, or PARTIA_SECRETS_DIR)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from partia_kit.settings import ServiceSettings
from partia_notifications.domain.policies.quiet_hours import QuietHours, parse_quiet_hours

Language = Literal["kk", "ru", "en"]


class NotificationsSettings(ServiceSettings):
    database_schema: str = Field(
        default="notifications",
        description="the notifications service's own schema in the shared PostgreSQL",
    )
    party: str = Field(
        default="baytaq", description="the party whose root organisation's grants cover all"
    )
    default_language: Language = Field(
        default="ru",
        description="the language of a notice to a person whose record names none (the party's"
        " working language)",
    )
    registry_url: str = Field(
        default="http://127.0.0.1:8000",
        description="the registry's API, asked for a person's contact at send time",
    )
    registry_token: SecretStr = Field(
        default=SecretStr(""),
        description="the notifications service account's bearer token at the registry (role"
        " `service`, service `notifications`: the only account that may read a contact)",
    )
    registry_timeout: float = Field(default=10.0, gt=0, description="seconds per registry call")
    smtp_host: str = Field(default="127.0.0.1", description="the mail server notices go to")
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_starttls: bool = Field(
        default=False, description="upgrade the connection with STARTTLS before sending"
    )
    smtp_ca_file: Path | None = Field(
        default=None,
        description="certificates (PEM) trusted for STARTTLS, e.g. the party's own CA; default:"
        " the system's",
    )
    smtp_username: str | None = Field(default=None, description="SMTP AUTH user, if any")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP AUTH password")
    smtp_timeout: float = Field(default=10.0, gt=0, description="seconds per SMTP exchange")
    mail_from: str = Field(
        default="Partia <notices@partia.local>", description="the From of every notice"
    )
    send_batch: int = Field(
        default=20,
        ge=1,
        le=1000,
        description="notices a sender claims at once (each claimed row stays locked until sent)",
    )
    send_idle_seconds: float = Field(
        default=0.5, gt=0, description="how long a sender with nothing due waits before looking"
    )
    retry_first_seconds: float = Field(
        default=30.0, gt=0, description="the wait after a notice's first failed attempt"
    )
    retry_max_seconds: float = Field(
        default=3600.0, gt=0, description="the longest wait between two attempts (the cap)"
    )
    max_attempts: int = Field(
        default=12, ge=1, description="attempts before a notice is marked failed (resend re-queues)"
    )
    digest_hour: int = Field(
        default=9,
        ge=0,
        le=23,
        description="the hour (Asia/Almaty) from which each party body's daily digest of routine"
        " items goes (one a day per body; urgent notices go alone, at once)",
    )
    quiet_hours: str = Field(
        default="22:00-08:00",
        description="HH:MM-HH:MM, Asia/Almaty time: reminders and information due then wait for"
        " the end (decisions and sanctions go at once); `off` for none (decision 300)",
    )

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours_read(cls, value: str) -> str:
        parse_quiet_hours(value)  # a wrong window stops the start, naming the setting
        return value

    def quiet(self) -> QuietHours | None:
        """The quiet hours as the sender applies them; None when off."""
        return parse_quiet_hours(self.quiet_hours)
