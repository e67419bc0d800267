"""Domain errors; the HTTP layer maps each type to a status, never by reading message text."""

from __future__ import annotations


class LaporError(Exception):
    """Base of the errors a client can cause."""


class NotFound(LaporError):
    """The report does not exist (404)."""


class Unauthorized(LaporError):
    """No valid official identity (401)."""


class Forbidden(LaporError):
    """The caller may not touch this report (403)."""


class Conflict(LaporError):
    """The request contradicts the report's state (409)."""


class InvalidInput(LaporError):
    """Input that passed parsing but breaks a business rule (422); ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class MfaRequired(Forbidden):
    """The caller's role needs TOTP in this deployment and their account has none yet (403, field ``mfa``)."""
