"""Domain errors; the HTTP layer maps each type to a status, never by reading message text.

Each error carries a message id of ``lapor.domain.catalogue`` and its parameters, so the answer is
worded in the caller's language when it is sent, not when it is raised.
"""

from __future__ import annotations

from lapor.domain.catalogue import MESSAGES, Lang, render


class LaporError(Exception):
    """Base of the errors a client can cause: ``message_id`` of the catalogue and its parameters.

    ``field`` names the input at fault when there is one (a 403 for a wrong receipt names ``receipt``).
    """

    def __init__(self, message_id: str, *, field: str | None = None, **params: object) -> None:
        super().__init__(message_id)
        self.message_id = message_id
        self.field = field
        self.params = params

    def message(self, language: Lang) -> str:
        """The message in ``language``. Text that is not a catalogue id (a caller not yet moved to
        the catalogue) is shown as written in English and replaced by the generic one otherwise."""
        if self.message_id in MESSAGES:
            return render(self.message_id, language, field=self.field, **self.params)
        if language == "en":
            return self.message_id
        return render("invalid", language, field=self.field or "body")


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

    field: str

    def __init__(self, field: str, message_id: str, **params: object) -> None:
        super().__init__(message_id, field=field, **params)


class ServiceNotReady(Exception):
    """A part of this deployment is not configured (503), e.g. no uploads bucket."""


class MfaRequired(Forbidden):
    """The caller's role needs TOTP in this deployment and their account has none yet (403, field ``mfa``)."""
