"""Notification messages: what the router, the SLA checker and actions put on the notify queue.

A message names *who* must hear about *what*; the notify function looks up the addresses and renders
the text when it sends, so no contact detail or message body travels through the queue. Every
message has a deterministic id, so a re-delivered or re-enqueued message is recognised and sent once.
"""

from enum import StrEnum
from typing import Self

from msgspec import Struct
from pydantic import BaseModel, ConfigDict, Field

REPORTER = "reporter"


class Event(StrEnum):
    """Why a message is sent."""

    ASSIGNED = "assigned"  # to the assignee: a new report to verify
    CC = "cc"  # to a coordinating agency's admins (covid19 track)
    TRIAGE = "triage"  # to the national admin: no category matched, manual triage
    RECEIVED = "received"  # to the reporter: acknowledgment with tracking code and verify deadline
    STATUS = "status"  # to the reporter: the report moved (verified, in progress, completed, ...)
    REOPENED = "reopened"  # to the assignee: the reporter reopened the answer
    FORWARDED = "forwarded"  # to the previous assignee: the report went to another agency
    ESCALATION_1 = "escalation_1"  # verify_by / follow_up_by missed: assignee and agency admins
    ESCALATION_2 = "escalation_2"  # two working days later: supervisor and national admin
    RESOLVE_MISSED = "resolve_missed"  # resolve_by missed: national admin and the Ombudsman


class Notification(BaseModel):
    """One message to one recipient (an official id, or ``reporter``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Deterministic: report_id:event[:stage]:recipient.")
    report_id: str
    event: Event
    recipient: str
    stage: str | None = Field(
        default=None, description="verify|follow_up|resolve, for escalations; status for updates."
    )
    note: str | None = Field(
        default=None, description="An official's note to the reporter, when there is one."
    )

    @classmethod
    def for_(
        cls,
        report_id: str,
        event: Event,
        recipient: str,
        *,
        stage: str | None = None,
        note: str | None = None,
        seq: int | None = None,
    ) -> Self:
        """Build a message with its deterministic id; ``seq`` separates repeated events (e.g. each status change)."""
        parts = [report_id, event.value]
        if stage:
            parts.append(stage)
        if seq is not None:
            parts.append(str(seq))
        parts.append(recipient)
        return cls(
            id=":".join(parts), report_id=report_id, event=event, recipient=recipient, stage=stage, note=note
        )


class RenderedEmail(Struct, frozen=True):
    """A ready-to-send email: one subject line, a plain-text body and an equivalent HTML body."""

    subject: str
    text: str
    html: str


class Attachment(Struct, frozen=True):
    """A file sent with an email (a chart, a spreadsheet)."""

    filename: str
    content_type: str
    content: bytes
