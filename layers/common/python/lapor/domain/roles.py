"""Who may read and move which report: the officials' roles table, in one place.

DESIGN.md "Officials (contract)": "own agency" is the report's current agency. Rights add up: the
national admin is also an admin of their own agency, and an official of an oversight or cc agency is
also an ordinary official of their own agency. A move the caller's role may not make is refused
with Forbidden (403) before the state machine is asked (409), so a refusal never reveals more than
the caller may know about the report.
"""

from __future__ import annotations

from collections.abc import Iterable

from msgspec import Struct

from lapor.domain.directory import Directory, Role
from lapor.domain.errors import Forbidden, Unauthorized
from lapor.domain.lifecycle import OFFICIAL_ACTIONS, TRANSITIONS, Action
from lapor.domain.models import Report

# Oversight bodies: they read the reports escalated to them; they never act on another agency's report.
OVERSIGHT_AGENCIES = frozenset({"ORI", "KSP"})
# Roles that handle a report day to day; only they can be assignees.
HANDLING_ROLES = frozenset({Role.LIAISON, Role.ADMIN})

_WORK = frozenset({Action.VERIFY, Action.RESPOND, Action.COMPLETE})
_DECIDE = frozenset({Action.REJECT, Action.FORWARD})


class Caller(Struct, frozen=True):
    """An authenticated, active official as the directory describes them now."""

    official_id: str
    name: str
    agency: str
    role: Role
    national_admin: bool

    def owns(self, report: Report) -> bool:
        """The report is at the caller's agency (its current agency)."""
        return report.agency is not None and report.agency == self.agency


def caller_of(official_id: str | None, directory: Directory) -> Caller:
    """The caller named by a verified token's official id; Unauthorized when unknown or inactive."""
    official = directory.officials_by_id.get(official_id or "")
    if official is None or not official.active:
        raise Unauthorized("sign_in")
    return Caller(
        official_id=official.id,
        name=official.name,
        agency=official.agency,
        role=official.role,
        national_admin=official.id == directory.national_admin,
    )


def may_read(caller: Caller, report: Report) -> bool:
    """Whether the caller may see the official view of the report."""
    return caller.national_admin or caller.owns(report) or _reads_by_grant(caller, report)


def read_only(caller: Caller, report: Report) -> bool:
    """The caller reads the report only because it was escalated or copied to them (no moves at all)."""
    return not caller.national_admin and not caller.owns(report) and _reads_by_grant(caller, report)


def _reads_by_grant(caller: Caller, report: Report) -> bool:
    # Escalation recipients keep reading what was escalated to them (their "escalated" list shows
    # it); oversight agencies read what was escalated to any of their officials; cc agencies read
    # their copies.
    return (
        caller.official_id in report.escalated_to
        or caller.agency in report.escalated_agencies
        or caller.agency in report.copied_to
    )


def role_allows(caller: Caller, action: Action, report: Report) -> bool:
    """The roles table, ignoring the report's status."""
    own = caller.owns(report)
    if action in _WORK:
        handles = own and caller.role in HANDLING_ROLES
        triage = caller.national_admin and report.assignee == caller.official_id
        return handles or triage
    if action in _DECIDE:
        return (own and caller.role == Role.ADMIN) or caller.national_admin
    if action == Action.ASSIGN:
        return (own and caller.role in (Role.ADMIN, Role.SUPERVISOR)) or caller.national_admin
    return False


def allowed_actions(caller: Caller, report: Report) -> list[Action]:
    """The moves the caller may make on the report now: the role allows them and so does the status."""
    return [
        action
        for action in OFFICIAL_ACTIONS
        if (report.status, action) in TRANSITIONS and role_allows(caller, action, report)
    ]


def check_move(caller: Caller, action: Action, report: Report) -> None:
    """Forbidden (403) when the caller's role may not make ``action`` on this report."""
    if not may_read(caller, report):
        raise Forbidden("other_agency")
    if role_allows(caller, action, report):
        return
    if read_only(caller, report):
        raise Forbidden("read_only")
    raise Forbidden("role_forbidden")


def assignable(official_ids: Iterable[str], agency: str, directory: Directory) -> list[str]:
    """Of ``official_ids``, those who can be assigned a report of ``agency``: active liaisons and admins."""
    found = []
    for official_id in official_ids:
        official = directory.officials_by_id.get(official_id)
        if official and official.active and official.agency == agency and official.role in HANDLING_ROLES:
            found.append(official_id)
    return found
