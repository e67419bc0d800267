"""What a function needs at run time, assembled once per cold start from the settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from msgspec import Struct, field

from lapor.adapters.aggregates import AggregateStore
from lapor.adapters.bucket import DataBucket
from lapor.adapters.channels import SesEmailSender, SnsSmsSender
from lapor.adapters.directory_cache import DirectoryCache
from lapor.adapters.outbox import NotifyQueue
from lapor.adapters.repository import DirectoryStore, ReportRepository
from lapor.adapters.secrets import SecretValue
from lapor.adapters.uploads import UploadStore
from lapor.domain.directory import Directory
from lapor.domain.places import PlaceIndex
from lapor.domain.regions import RegionIndex
from lapor.domain.workdays import WorkCalendar
from lapor.settings import Settings

if TYPE_CHECKING:
    # Imported where first used: the notify use case only by the function that sends, the
    # officials' identity only by the API, Open311's partner keys (and its XML and models) only by
    # an Open311 request. Every function builds Services; none should import what it never calls.
    from lapor.adapters.identity import MfaDirectory, TokenVerifier, UserPool
    from lapor.adapters.partners import PartnerKeys
    from lapor.app.notify import Channels


def utc_now() -> datetime:
    """The current instant, timezone-aware."""
    return datetime.now(UTC)


class Services(Struct, eq=False, dict=True):
    """Adapters built from the settings; clients inside them are created on first use."""

    settings: Settings
    clock: Callable[[], datetime] = field(default=utc_now)

    @cached_property
    def reports(self) -> ReportRepository:
        """Reports, timelines and load counters."""
        return ReportRepository(
            self.settings.reports_table, self.settings.directory_table, due_shards=self.settings.due_shards
        )

    @cached_property
    def receipt_secret(self) -> SecretValue:
        """The secret receipts of keyed submissions are derived from (read on the first keyed submission)."""
        if not self.settings.receipt_secret:
            raise RuntimeError("LAPOR_RECEIPT_SECRET is required for Idempotency-Key support")
        return SecretValue(self.settings.receipt_secret)

    @cached_property
    def aggregates(self) -> AggregateStore:
        """The accountability counters (statistics and evaluation)."""
        if not self.settings.aggregates_table:
            raise RuntimeError("LAPOR_AGGREGATES_TABLE is required for statistics and the monthly jobs")
        return AggregateStore(self.settings.aggregates_table)

    @cached_property
    def data_bucket(self) -> DataBucket:
        """Where the monthly jobs write evaluations and open data."""
        if not self.settings.data_bucket:
            raise RuntimeError("LAPOR_DATA_BUCKET is required by the monthly jobs")
        return DataBucket(self.settings.data_bucket)

    @cached_property
    def report_sender(self) -> SesEmailSender:
        """SES, for the evaluation's emails with attachments."""
        if not self.settings.sender_email:
            raise RuntimeError("LAPOR_SENDER_EMAIL is required to send the evaluation")
        return SesEmailSender(
            self.settings.sender_email, configuration_set=self.settings.ses_configuration_set
        )

    @cached_property
    def directory_store(self) -> DirectoryStore:
        """Where the directory document is stored."""
        return DirectoryStore(self.settings.directory_table)

    @cached_property
    def directory_cache(self) -> DirectoryCache:
        """The directory as this warm function sees it."""
        return DirectoryCache(self.directory_store, max_age=self.settings.directory_cache_seconds)

    @cached_property
    def notify_queue(self) -> NotifyQueue:
        """The notify queue, where every outbound message waits to be sent."""
        return NotifyQueue(self.settings.notify_queue_url)

    @cached_property
    def uploads(self) -> UploadStore | None:
        """The reporters' attachments bucket, when this deployment has one."""
        bucket = self.settings.uploads_bucket
        return UploadStore(bucket) if bucket else None

    @cached_property
    def user_pool(self) -> UserPool | None:
        """The officials' user pool, when this function is configured with one."""
        from lapor.adapters.identity import UserPool

        settings = self.settings
        if not settings.user_pool_id or not settings.user_pool_client_id:
            return None
        return UserPool(
            pool_id=settings.user_pool_id,
            client_id=settings.user_pool_client_id,
            region=settings.region,
            endpoint=settings.cognito_endpoint,
        )

    @cached_property
    def token_verifier(self) -> TokenVerifier | None:
        """Verifies officials' ID tokens on routes the API Gateway authorizer does not guard."""
        from lapor.adapters.identity import TokenVerifier

        return TokenVerifier(self.user_pool) if self.user_pool else None

    @cached_property
    def mfa_directory(self) -> MfaDirectory | None:
        """Reads officials' TOTP enrolment from the pool."""
        from lapor.adapters.identity import MfaDirectory

        return MfaDirectory(self.settings.user_pool_id) if self.settings.user_pool_id else None

    def directory(self) -> Directory:
        """The current directory."""
        return self.directory_cache.get()

    def regions(self) -> RegionIndex:
        """Kemendagri's regions, read from the package on first use."""
        from lapor.adapters.regions_file import load_regions

        return load_regions()

    def places(self) -> PlaceIndex:
        """Populated places with their regions (Open311's lat/long), read from the package on first use."""
        from lapor.adapters.regions_file import load_places

        return load_places()

    @cached_property
    def partner_keys(self) -> PartnerKeys:
        """Open311 partner applications' keys (hashes), in the directory table."""
        from lapor.adapters.partners import PartnerKeys

        return PartnerKeys(self.settings.directory_table)

    def calendar(self) -> WorkCalendar:
        """The working-day calendar with the current directory's corrections."""
        return self.directory().work_calendar

    @cached_property
    def channels(self) -> Channels:
        """SES email and SNS SMS, as the notify function sends them."""
        from lapor.app.notify import Channels

        settings = self.settings
        if not settings.sender_email:
            raise RuntimeError("LAPOR_SENDER_EMAIL is required by the notify function")
        return Channels(
            email=SesEmailSender(settings.sender_email, configuration_set=settings.ses_configuration_set),
            sms=SnsSmsSender(max_price=settings.sms_max_price, sender_id=settings.sms_sender_id),
            sms_enabled=settings.sms_enabled,
            public_url=settings.public_url,
        )
