"""Deployment settings read from CDK context (cdk.json defaults, ``-c key=value`` overrides).

Values given with ``-c`` arrive as strings, values from cdk.json as JSON types; both are accepted.
A bad value stops the synth with a message naming the context key.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from aws_cdk import aws_logs as logs
from constructs import Node

_EMAIL = re.compile(r"^[^@\s]+@([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$")
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d+)?$")
_STAGE = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
# CloudWatch Logs accepts only these retention periods (days).
_LOG_RETENTION = {
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    731: logs.RetentionDays.TWO_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
}


# Stages that serve the public: they may not be deployed without someone receiving their alarms.
PRODUCTION_STAGES = frozenset({"prod"})
# Account-level things (SES identity, SNS SMS delivery-status logging) are per account and region:
# one stage creates them, every other stage in that account and region uses the existing ones.
OWNERSHIP = ("create", "existing")


class ConfigError(ValueError):
    """A context value the stack cannot be built from; the message names the key."""


@dataclass(frozen=True)
class LaporConfig:
    """Everything that differs between deployments of the stack."""

    stage: str
    region: str
    sender_email: str
    sms_enabled: bool
    sms_max_price: Decimal
    sms_sender_id: str | None
    sms_monthly_spend_alarm_usd: float
    alarm_email: str | None
    cors_origins: tuple[str, ...]
    public_url: str
    due_shards: int
    sla_schedule_minutes: int
    api_rate_limit: int
    api_burst_limit: int
    waf_rate_limit: int
    waf_submit_rate_limit: int
    log_retention_days: int
    log_level: str
    ses_identity: str = "create"
    sms_delivery_status: str = "create"
    snap_start: bool = False
    mfa_required: bool = True

    @property
    def sender_domain(self) -> str:
        """The SES identity: the sender address's domain (verified once, with DKIM, by the operator)."""
        return self.sender_email.rsplit("@", 1)[1].lower()

    @property
    def log_retention(self) -> logs.RetentionDays:
        return _LOG_RETENTION[self.log_retention_days]

    @classmethod
    def from_node(cls, node: Node) -> LaporConfig:
        """Read the context visible from ``node`` (the app's or a stack's)."""
        return cls.from_mapping(lambda key: node.try_get_context(key))

    @classmethod
    def from_mapping(cls, get: Any) -> LaporConfig:
        """Build from ``get(key) -> value | None`` (a context lookup or ``dict.get``)."""
        stage = _text(get, "stage", "dev")
        if not _STAGE.match(stage):
            raise ConfigError(f"context 'stage' must match {_STAGE.pattern}, got {stage!r}")
        sender_email = _text(get, "senderEmail", "no-reply@lapor.example.go.id")
        if not _EMAIL.match(sender_email):
            raise ConfigError(f"context 'senderEmail' is not an email address: {sender_email!r}")
        alarm_email = _text(get, "alarmEmail", "") or None
        if alarm_email and not _EMAIL.match(alarm_email):
            raise ConfigError(f"context 'alarmEmail' is not an email address: {alarm_email!r}")
        if stage in PRODUCTION_STAGES and not alarm_email:
            raise ConfigError(
                f"context 'alarmEmail' is required for stage {stage!r}: without it the alarms (dead "
                "letters, delivery configuration errors, failed SMS, SLA runs) reach nobody. Deploy with "
                "-c alarmEmail=ops@your.agency.go.id (the address confirms the subscription once)."
            )
        origins = _origins(get("corsOrigins"))
        public_url = _text(get, "publicUrl", "https://lapor.example.go.id").rstrip("/")
        if not public_url.startswith(("https://", "http://")):
            raise ConfigError(f"context 'publicUrl' must be an http(s) URL, got {public_url!r}")
        retention = _int(get, "logRetentionDays", 90, 1, 3653)
        if retention not in _LOG_RETENTION:
            raise ConfigError(f"context 'logRetentionDays' must be one of {sorted(_LOG_RETENTION)}")
        try:
            sms_max_price = Decimal(str(get("smsMaxPrice") if get("smsMaxPrice") is not None else "0.50"))
        except InvalidOperation:
            raise ConfigError("context 'smsMaxPrice' must be a decimal number of USD") from None
        if not sms_max_price.is_finite() or sms_max_price <= 0:
            raise ConfigError("context 'smsMaxPrice' must be a positive number of USD per message part")
        mfa = _text(get, "mfa", "required").lower()
        if mfa not in {"required", "off"}:
            raise ConfigError(f"context 'mfa' must be required or off, got {mfa!r}")
        log_level = _text(get, "logLevel", "INFO").upper()
        if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ConfigError(f"context 'logLevel' must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}")
        return cls(
            stage=stage,
            region=_text(get, "region", "ap-southeast-3"),
            sender_email=sender_email,
            sms_enabled=_bool(get, "smsEnabled", True),
            sms_max_price=sms_max_price,
            sms_sender_id=_text(get, "smsSenderId", "") or None,
            sms_monthly_spend_alarm_usd=float(_int(get, "smsMonthlySpendAlarmUsd", 50, 1, 1_000_000)),
            alarm_email=alarm_email,
            cors_origins=origins,
            public_url=public_url,
            due_shards=_int(get, "dueShards", 8, 1, 64),
            sla_schedule_minutes=_int(get, "slaScheduleMinutes", 5, 1, 60),
            api_rate_limit=_int(get, "apiRateLimit", 50, 1, 10_000),
            api_burst_limit=_int(get, "apiBurstLimit", 100, 1, 5_000),
            waf_rate_limit=_int(get, "wafRateLimit", 2000, 100, 2_000_000_000),
            waf_submit_rate_limit=_int(get, "wafSubmitRateLimit", 300, 100, 2_000_000_000),
            log_retention_days=retention,
            log_level=log_level,
            ses_identity=_choice(get, "sesIdentity", OWNERSHIP),
            sms_delivery_status=_choice(get, "smsDeliveryStatus", OWNERSHIP),
            snap_start=_bool(get, "snapStart", False),
            mfa_required=mfa == "required",
        )


def _text(get: Any, key: str, default: str) -> str:
    value = get(key)
    return default if value is None else str(value).strip()


def _choice(get: Any, key: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (the first is the default)."""
    value = _text(get, key, choices[0]).lower()
    if value not in choices:
        raise ConfigError(f"context {key!r} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _int(get: Any, key: str, default: int, low: int, high: int) -> int:
    value = get(key)
    if value is None:
        return default
    try:
        number = int(str(value))
    except ValueError:
        raise ConfigError(f"context {key!r} must be an integer, got {value!r}") from None
    if not low <= number <= high:
        raise ConfigError(f"context {key!r} must be between {low} and {high}, got {number}")
    return number


def _bool(get: Any, key: str, default: bool) -> bool:
    value = get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes"}:
        return True
    if text in {"false", "0", "no"}:
        return False
    raise ConfigError(f"context {key!r} must be true or false, got {value!r}")


def _origins(value: Any) -> tuple[str, ...]:
    """A list from cdk.json, or a JSON list / comma-separated string from ``-c corsOrigins=...``."""
    if value is None:
        value = ["https://lapor.example.go.id"]
    if isinstance(value, str):
        text = value.strip()
        value = (
            json.loads(text) if text.startswith("[") else [part for part in text.split(",") if part.strip()]
        )
    origins = tuple(str(origin).strip().rstrip("/") for origin in value)
    if not origins:
        raise ConfigError("context 'corsOrigins' must name at least one origin")
    for origin in origins:
        if not _ORIGIN.match(origin):
            raise ConfigError(f"context 'corsOrigins' entries must be scheme://host[:port], got {origin!r}")
    return origins
