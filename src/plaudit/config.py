"""Settings: the one place that reads the environment (``PLAUDIT_*`` variables)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from limits import parse
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting Plaudit reads, documented in docs/configuration.md."""

    model_config = SettingsConfigDict(env_prefix="PLAUDIT_", extra="ignore")

    data_dir: Path = Field(
        default=Path("var"),
        description="Directory for the embedded SQLite database, job queue, files and master key.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL. Default: SQLite file `<data_dir>/plaudit.db`. "
        "PostgreSQL: `postgresql+psycopg://user@host:5432/plaudit`.",
    )
    queue_url: str | None = Field(
        default=None,
        description="Job queue. Default: SQLite file `<data_dir>/jobs.db`. "
        "Networked: `redis://host:6379/0`.",
    )
    queue_name: str = Field(
        default="plaudit", description="Queue name; separates instances sharing one Redis."
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The URL where people and verifiers reach this instance (no trailing slash).",
    )
    host: str = Field(default="127.0.0.1", description="Address `plaudit serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `plaudit serve` binds to.")
    workers: int = Field(default=2, ge=1, le=64, description="Job worker threads.")
    run_jobs_in_process: bool = Field(
        default=True,
        description="`plaudit serve` also runs the job workers (embedded default). "
        "Set to false when separate `plaudit worker` processes consume the queue.",
    )
    page_cache_seconds: float = Field(
        default=10.0,
        ge=0,
        le=300,
        description="How long a rendered public credential page is reused (0: never). A "
        "revocation shows at once in every process when the queue is a Redis (they tell each "
        "other on it); without one, at once in the process that made it and within this time "
        "in others.",
    )
    log_json: bool = Field(default=False, description="Write logs as JSON lines.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_body_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        description="Largest accepted JSON request body, in bytes.",
    )
    max_upload_bytes: int = Field(
        default=5 * 1_048_576,
        ge=1024,
        description="Largest accepted file upload (multipart), in bytes.",
    )
    master_key: str | None = Field(
        default=None,
        description="Base64 of 32 random bytes that encrypts private keys and secrets at rest. "
        "If unset, read from `master_key_file`.",
        repr=False,
    )
    master_key_file: Path | None = Field(
        default=None,
        description="File holding the master key. Default `<data_dir>/master.key`, created on "
        "first run when the database is the embedded SQLite file.",
    )
    idempotency_ttl_hours: int = Field(
        default=24, ge=1, description="How long an Idempotency-Key's response is kept."
    )

    verify_allow_private_networks: bool = Field(
        default=False,
        description="Let verification fetch other issuers' keys from private, loopback and "
        "link-local addresses, and over plain http. Only for tests and closed networks.",
    )

    verify_rate_limit: str = Field(
        default="30/6 seconds",
        description="How many public verifications one client address may make: N in any "
        "window (`30/6 seconds`, `100/minute`). Counted in the queue's Redis when "
        "PLAUDIT_QUEUE_URL is one, so every process shares it; else in each process.",
    )

    smtp_host: str | None = Field(
        default=None,
        description="The instance's SMTP server for emails (an organization may set its own). "
        "Without one, emails are written as .eml files under DATA_DIR/mail.",
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP server port.")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls",
        description="starttls (port 587), tls (implicit TLS, port 465) or none (local relays).",
    )
    smtp_username: str | None = Field(default=None, description="SMTP login, if required.")
    smtp_password: str | None = Field(default=None, description="SMTP password, if required.")
    smtp_timeout_seconds: float = Field(
        default=30.0, gt=0, le=300, description="How long one SMTP exchange may take."
    )
    email_from: str = Field(
        default="Plaudit <plaudit@localhost>",
        description="Sender of emails when an organization sets none: 'Name <address>'.",
    )
    webhook_timeout_seconds: float = Field(
        default=15.0, gt=0, le=60, description="How long a webhook endpoint may take to answer."
    )
    webhooks_allow_private_networks: bool = Field(
        default=False,
        description="Let webhooks go to private, loopback and link-local addresses and over "
        "plain http. Only for tests and closed networks.",
    )
    obapi_hosts_allow_private_networks: bool = Field(
        default=False,
        description="Let learners connect Open Badges 3.0 hosts (and send credentials to them) "
        "on private, loopback and link-local addresses and over plain http. Only for tests and "
        "closed networks.",
    )
    delivery_backoff_scale: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="Multiplies every retry delay of emails and webhooks (1 = the documented "
        "schedule). Tests shrink it; leave it at 1 in production.",
    )
    claim_ttl_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description="How long a learner can take a credential into a wallet with one claim (its "
        "QR code and links). The learner's wallet page makes a new claim when one has expired.",
    )
    claim_tx_code: bool = Field(
        default=False,
        description="Protect OpenID4VCI offers with a transaction code (6 digits) that the award "
        "email and the claim page show: a wallet that scans a stolen QR code alone gets nothing.",
    )
    delivery_lease_seconds: float = Field(
        default=300.0,
        ge=1,
        le=3600,
        description="How long a worker holds an email or webhook it is sending: a worker that "
        "dies mid-send has its messages sent again after this. Keep it well above the SMTP and "
        "webhook timeouts, or a slow send is sent twice.",
    )

    recovery_interval_seconds: float = Field(
        default=60.0,
        ge=0.5,
        le=3600,
        description="How often one process of the instance looks for background work that a "
        "crash interrupted (credentials left unsigned, status lists left unsigned, messages, "
        "bulk issuances and backfills whose runner died) and queues it again.",
    )
    recovery_grace_seconds: float = Field(
        default=60.0,
        ge=0,
        le=86400,
        description="How long a credential may wait for its signing job before the recovery "
        "pass queues it again (a busy queue can take a while to reach it).",
    )
    lease_seconds: float = Field(
        default=60.0,
        ge=1,
        le=3600,
        description="How long a bulk issuance's or backfill's runner holds it without renewing "
        "(it renews after every batch): a runner killed mid-job is taken over after this.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses or networks of reverse proxies whose "
        "X-Forwarded-For and X-Forwarded-Proto headers are believed (default: none, so the "
        "rate limits see the connecting address). Use `*` only behind a proxy that overwrites "
        "those headers.",
    )
    fault_injection: Literal["", "exit-before-enqueue"] = Field(
        default="",
        description="Testing only: `exit-before-enqueue` kills the process right after a "
        "transaction commits and before its jobs are queued, as a crash would.",
    )

    @field_validator("verify_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        parse(value)  # a ValueError naming the string, at start rather than at the first request
        return value

    @field_validator("public_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'plaudit.db').resolve()}"

    @property
    def resolved_queue_url(self) -> str:
        if self.queue_url:
            return self.queue_url
        return f"sqlite:///{(self.data_dir / 'jobs.db').resolve()}"

    @property
    def resolved_master_key_file(self) -> Path:
        return self.master_key_file or self.data_dir / "master.key"

    @property
    def is_embedded(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
