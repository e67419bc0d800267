"""The report lifecycle: every status change goes through this one state machine."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Where a report stands."""

    RECEIVED = "received"
    DISPATCHED = "dispatched"
    VERIFIED = "verified"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CLOSED = "closed"
    REJECTED = "rejected"


class Action(StrEnum):
    """Everything that can move a report: officials' actions, reporter feedback and system events."""

    ROUTE = "route"
    VERIFY = "verify"
    FORWARD = "forward"
    ASSIGN = "assign"
    REJECT = "reject"
    RESPOND = "respond"
    COMPLETE = "complete"
    ACCEPT = "accept"
    REOPEN = "reopen"
    AUTO_CLOSE = "auto_close"


OFFICIAL_ACTIONS = (
    Action.VERIFY,
    Action.FORWARD,
    Action.REJECT,
    Action.RESPOND,
    Action.COMPLETE,
    Action.ASSIGN,
)
REPORTER_ACTIONS = (Action.ACCEPT, Action.REOPEN)

TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.RECEIVED, Action.ROUTE): Status.DISPATCHED,
    (Status.DISPATCHED, Action.VERIFY): Status.VERIFIED,
    (Status.DISPATCHED, Action.FORWARD): Status.DISPATCHED,
    # "Bukan wewenang" found after verification: the report goes to the competent agency afresh.
    (Status.VERIFIED, Action.FORWARD): Status.DISPATCHED,
    # Assigning hands the report to a colleague; the status stays where it is.
    (Status.DISPATCHED, Action.ASSIGN): Status.DISPATCHED,
    (Status.VERIFIED, Action.ASSIGN): Status.VERIFIED,
    (Status.IN_PROGRESS, Action.ASSIGN): Status.IN_PROGRESS,
    (Status.DISPATCHED, Action.REJECT): Status.REJECTED,
    (Status.VERIFIED, Action.REJECT): Status.REJECTED,
    (Status.VERIFIED, Action.RESPOND): Status.IN_PROGRESS,
    (Status.IN_PROGRESS, Action.RESPOND): Status.IN_PROGRESS,
    (Status.VERIFIED, Action.COMPLETE): Status.COMPLETED,
    (Status.IN_PROGRESS, Action.COMPLETE): Status.COMPLETED,
    (Status.COMPLETED, Action.ACCEPT): Status.CLOSED,
    (Status.COMPLETED, Action.AUTO_CLOSE): Status.CLOSED,
    (Status.COMPLETED, Action.REOPEN): Status.IN_PROGRESS,
}

# Reports in these statuses count against their assignee's open load and have a pending resolve_by.
OPEN_STATUSES = frozenset({Status.DISPATCHED, Status.VERIFIED, Status.IN_PROGRESS})
FINAL_STATUSES = frozenset({Status.COMPLETED, Status.CLOSED, Status.REJECTED})


class TransitionNotAllowed(Exception):
    """The action is not allowed from the report's current status (HTTP 409)."""

    def __init__(self, status: Status, action: Action) -> None:
        super().__init__(f"cannot {action.value} a report that is {status.value}")
        self.status = status
        self.action = action


def next_status(status: Status, action: Action) -> Status:
    """The status after ``action``, or TransitionNotAllowed."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise TransitionNotAllowed(status, action) from None


def allowed_from(action: Action) -> tuple[Status, ...]:
    """The statuses from which ``action`` is allowed (used for conditional writes)."""
    return tuple(status for (status, act) in TRANSITIONS if act == action)


def public_bucket(status: Status) -> str | None:
    """LAPOR!'s public statistics bucket of a status; None for rejected, which counts apart."""
    return _BUCKETS.get(status)


_BUCKETS = {
    Status.RECEIVED: "unverified",
    Status.DISPATCHED: "unverified",
    Status.VERIFIED: "not_followed_up",
    Status.IN_PROGRESS: "in_process",
    Status.COMPLETED: "completed",
    Status.CLOSED: "completed",
}
