"""Settings parsed once from the environment at cold start and passed down as arguments."""

import os
from collections.abc import Mapping
from decimal import Decimal
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# Environment variable -> settings field. Table names and the queue have no defaults on purpose:
# a function deployed without them must fail at start, not write to a table nobody reads.
ENVIRONMENT = {
    "AWS_REGION": "region",
    "LAPOR_REPORTS_TABLE": "reports_table",
    "LAPOR_DIRECTORY_TABLE": "directory_table",
    "LAPOR_IDEMPOTENCY_TABLE": "idempotency_table",
    "LAPOR_RECEIPT_SECRET": "receipt_secret",
    "LAPOR_NOTIFY_QUEUE_URL": "notify_queue_url",
    "LAPOR_AGGREGATES_TABLE": "aggregates_table",
    "LAPOR_DATA_BUCKET": "data_bucket",
    "LAPOR_DUE_SHARDS": "due_shards",
    "LAPOR_PUBLIC_URL": "public_url",
    "LAPOR_SENDER_EMAIL": "sender_email",
    "LAPOR_SES_CONFIGURATION_SET": "ses_configuration_set",
    "LAPOR_SMS_ENABLED": "sms_enabled",
    "LAPOR_SMS_MAX_PRICE": "sms_max_price",
    "LAPOR_SMS_SENDER_ID": "sms_sender_id",
    "LAPOR_DIRECTORY_CACHE_SECONDS": "directory_cache_seconds",
    "LAPOR_IDEMPOTENCY_TTL_SECONDS": "idempotency_ttl_seconds",
    "LAPOR_MAX_BODY_BYTES": "max_body_bytes",
    "LAPOR_USER_POOL_ID": "user_pool_id",
    "LAPOR_USER_POOL_CLIENT_ID": "user_pool_client_id",
    "LAPOR_COGNITO_ENDPOINT": "cognito_endpoint",
    "LAPOR_MFA_REQUIRED": "mfa_required",
    "LAPOR_CORS_ORIGINS": "cors_origins",
    "LAPOR_SLA_ALLOW_FUTURE_NOW": "sla_allow_future_now",
    "LAPOR_UPLOADS_BUCKET": "uploads_bucket",
    "LAPOR_REDRIVE_AFTER_SECONDS": "redrive_after_seconds",
}


class SettingsError(RuntimeError):
    """The environment does not describe a usable deployment; the message names the variables."""


class Settings(BaseModel):
    """Everything a Lapor function needs to know about its deployment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    region: str = Field(min_length=1)
    reports_table: str = Field(min_length=1)
    directory_table: str = Field(min_length=1)
    notify_queue_url: str = Field(min_length=1)
    idempotency_table: str | None = None
    # Secrets Manager secret (ARN or name) from which receipts of keyed submissions are derived.
    receipt_secret: str | None = None
    # The statistics API, the stream's counter and the monthly jobs need the aggregates table; the jobs
    # also the data bucket. Functions that need one fail at first use without it (see Services).
    aggregates_table: str | None = None
    data_bucket: str | None = None
    due_shards: int = Field(default=8, ge=1, le=64)
    public_url: str = "http://127.0.0.1:8080"
    sender_email: str | None = None
    ses_configuration_set: str | None = None
    sms_enabled: bool = True
    sms_max_price: Decimal = Decimal("0.10")
    sms_sender_id: str | None = None
    directory_cache_seconds: int = Field(default=60, ge=0)
    idempotency_ttl_seconds: int = Field(default=86_400, ge=60)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    user_pool_id: str | None = None
    # The officials' page signs in with this app client; the API checks its tokens' audience.
    user_pool_client_id: str | None = None
    # Cognito's API endpoint, when not the region's public one (the local stack's moto).
    cognito_endpoint: str | None = None
    # Admins, supervisors and the national admin must have TOTP enrolled to use the officials' API.
    mfa_required: bool = False
    cors_origins: str = ""
    # Only the local stack may run the SLA checker "in the future": deployed, a typo would escalate
    # and auto-close reports early, which cannot be undone.
    sla_allow_future_now: bool = False
    # Reporters' attachments; without it POST /uploads and attachments are refused (503).
    uploads_bucket: str | None = None
    # Messages queued longer ago than this and not confirmed are enqueued again by the SLA checker.
    # Longer than the notifier's own retries (about a minute) and a claim's lease (two minutes).
    redrive_after_seconds: int = Field(default=600, ge=180)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Parse the settings from ``environ`` (default ``os.environ``); raise SettingsError naming bad variables."""
        environ = os.environ if environ is None else environ
        values = {field: environ[var] for var, field in ENVIRONMENT.items() if environ.get(var, "") != ""}
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            by_field = {field: var for var, field in ENVIRONMENT.items()}
            problems = ", ".join(
                f"{by_field.get(str(e['loc'][0]), e['loc'][0])}: {e['msg']}" for e in error.errors()
            )
            raise SettingsError(f"invalid Lapor environment: {problems}") from None


class AttachmentSettings(BaseModel):
    """The attachments processing function's settings: only its bucket (it touches no table)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    uploads_bucket: str = Field(min_length=1)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Parse ``LAPOR_UPLOADS_BUCKET``; SettingsError when it is missing."""
        environ = os.environ if environ is None else environ
        try:
            return cls(uploads_bucket=environ.get("LAPOR_UPLOADS_BUCKET", ""))
        except ValidationError:
            raise SettingsError("invalid Lapor environment: LAPOR_UPLOADS_BUCKET is required") from None


def cors_origins_from_env(environ: Mapping[str, str] | None = None) -> list[str]:
    """Allowed browser origins (``LAPOR_CORS_ORIGINS``, comma-separated); read at import by the API module."""
    environ = os.environ if environ is None else environ
    return [origin.strip() for origin in environ.get("LAPOR_CORS_ORIGINS", "").split(",") if origin.strip()]
