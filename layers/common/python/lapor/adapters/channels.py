"""Delivery ports (EmailSender, SmsSender) and their AWS adapters (SES email, SNS SMS).

Adapters turn every provider failure into one of the exceptions the notify function acts on:

- TransientDeliveryError: leave the message on the queue; it is retried with backoff and finally
  lands in the DLQ. Its subclass SenderNotVerified (SES refuses the sender because the domain's DKIM
  records are not verified yet, as between a first deploy and DNS) is retried for as long as
  verification may take, not five times.
- PermanentDeliveryError: record the failure on the report's timeline and drop the message: the
  address or the message is wrong and retrying cannot help. Its subclass ConfigurationDeliveryError
  (access denied, sending paused, SES sandbox recipient, missing configuration set) is the
  deployment's fault, not the recipient's: recorded the same way, and counted in a metric with an
  alarm so an operator fixes it.

Error messages never carry provider text verbatim: SES and SNS echo addresses and numbers in their
messages ("...failed the check: someone@example.com"), and these errors end up in logs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from lapor.adapters.aws import client as aws_client
from lapor.domain.messages import Attachment, RenderedEmail

__all__ = [
    "ConfigurationDeliveryError",
    "DeliveryError",
    "EmailSender",
    "PermanentDeliveryError",
    "SenderNotVerified",
    "SesEmailSender",
    "SmsSender",
    "SnsSmsSender",
    "TransientDeliveryError",
    "classify_client_error",
    "classify_error",
    "redact_contacts",
]

# Throttling, service faults and KMS hiccups clear up by themselves.
TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",  # SNS's spelling
        "TooManyRequestsException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalError",
        "RequestTimeout",
        "RequestTimeoutException",
        "KMSThrottling",
        "KMSThrottlingException",
    }
)
# The deployment is wrong (permissions, account state, configuration): every message fails the same
# way until an operator fixes it, so retrying only fills the DLQ. Recorded and alarmed instead.
CONFIGURATION_CODES = frozenset(
    {
        "AccessDenied",  # SES (query protocol): the role may not send as this identity
        "AccessDeniedException",  # SES v2 and most JSON-protocol services
        "AuthorizationError",  # SNS: the role may not publish SMS
        "MailFromDomainNotVerified",
        "MailFromDomainNotVerifiedException",
        "ConfigurationSetDoesNotExist",
        "ConfigurationSetDoesNotExistException",
        "AccountSendingPaused",
        "AccountSendingPausedException",
        "KMSAccessDenied",  # SNS: the role may not use the key of an encrypted target
        "KMSDisabled",
        "KMSNotFound",
    }
)
# The message or the address is wrong: the same request would fail again.
PERMANENT_CODES = frozenset(
    {
        "MessageRejected",  # SES: virus, or (refined in SesEmailSender) an unverified identity
        "InvalidParameter",  # SNS: malformed number, message or attribute
        "InvalidParameterValue",  # SES and SNS: malformed address or parameter
        "ValidationError",  # query-protocol validation of the request shape
        "OptedOut",
        "EndpointDisabled",
    }
)

_SES_MAX_RECIPIENTS = 50
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# SNS sender IDs: 1-11 alphanumeric characters, at least one of them a letter.
_SENDER_ID = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$")
_EMAIL_IN_TEXT = re.compile(r"[^\s@<>\"',;:]+@[^\s@<>\"',;:]+")
_NUMBER_IN_TEXT = re.compile(r"\+?\d[\d\s\-()]{6,}\d")


class DeliveryError(Exception):
    """A message could not be delivered; ``code`` and ``http_status`` come from the provider when known."""

    def __init__(self, message: str, *, code: str | None = None, http_status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.http_status = http_status


class TransientDeliveryError(DeliveryError):
    """Throttling, a provider fault or a network timeout: retry later."""


class PermanentDeliveryError(DeliveryError):
    """Rejected address, invalid number, opted out...: record it, don't retry."""


class ConfigurationDeliveryError(PermanentDeliveryError):
    """The deployment cannot send (access denied, sending paused, sandbox recipient...): record and alarm."""


class SenderNotVerified(TransientDeliveryError):
    """SES refuses the sender identity because it is not verified yet: retry until it is (DKIM takes up to 72 h)."""


@runtime_checkable
class EmailSender(Protocol):
    """Sends one rendered email; returns the provider's message id."""

    def send(self, to: list[str], email: RenderedEmail) -> str:
        """Send ``email`` to ``to``; raise a DeliveryError subclass on failure."""
        ...


@runtime_checkable
class SmsSender(Protocol):
    """Sends one SMS; returns the provider's message id."""

    def send(self, phone_e164: str, text: str) -> str:
        """Send ``text`` to ``phone_e164``; raise a DeliveryError subclass on failure."""
        ...


def redact_contacts(text: str) -> str:
    """``text`` with email addresses and phone numbers replaced (provider messages may echo them)."""
    text = _EMAIL_IN_TEXT.sub("<email>", text)
    return _NUMBER_IN_TEXT.sub("<number>", text)


def classify_client_error(error: ClientError) -> DeliveryError:
    """The DeliveryError a botocore ClientError means, keeping its code and HTTP status.

    Unknown codes are treated as transient: a wrongly retried message costs a few attempts before
    the queue's redrive policy moves it to the DLQ, where an operator sees it, while a wrongly
    dropped one is a citizen or official who silently never hears about the report.
    """
    details = error.response.get("Error", {}) or {}
    code = str(details.get("Code") or "Unknown")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    operation = getattr(error, "operation_name", None) or "request"
    reason = redact_contacts(str(details.get("Message") or ""))[:200]
    message = (
        f"{operation} failed: {code}"
        + (f" (HTTP {status})" if status else "")
        + (f": {reason}" if reason else "")
    )
    if code in CONFIGURATION_CODES:
        return ConfigurationDeliveryError(message, code=code, http_status=status)
    if code in PERMANENT_CODES:
        return PermanentDeliveryError(message, code=code, http_status=status)
    # Everything else is transient: the listed throttling and fault codes, any HTTP 5xx or 429, and
    # unknown codes (see the docstring).
    return TransientDeliveryError(message, code=code, http_status=status)


def classify_error(error: BaseException) -> DeliveryError | None:
    """The DeliveryError for any exception a boto3 call may raise, or None if it is not a delivery failure.

    Connection failures and timeouts (EndpointConnectionError, ConnectTimeoutError,
    ReadTimeoutError, ConnectionClosedError) are transient.
    """
    if isinstance(error, DeliveryError):
        return error
    if isinstance(error, ClientError):
        return classify_client_error(error)
    if isinstance(error, (BotocoreConnectionError, HTTPClientError)):
        return TransientDeliveryError(f"network error: {type(error).__name__}", code=type(error).__name__)
    return None


def _classified(error: BaseException) -> DeliveryError:
    classified = classify_error(error)
    assert classified is not None
    return classified


def _call(method: Any, **kwargs: Any) -> dict[str, Any]:
    try:
        return method(**kwargs)
    except (ClientError, BotocoreConnectionError, HTTPClientError) as error:
        # "from None": the provider's original message may name the address (see module docstring).
        raise _classified(error) from None


class SesEmailSender:
    """EmailSender over Amazon SES (v1 ``SendEmail``), with text and HTML bodies in UTF-8."""

    def __init__(self, sender: str, *, configuration_set: str | None = None, client: Any = None) -> None:
        self.sender = sender
        self.configuration_set = configuration_set
        self._client = client

    @property
    def client(self) -> Any:
        """The SES client, created on first use."""
        if self._client is None:
            self._client = aws_client("ses")
        return self._client

    def send(self, to: list[str], email: RenderedEmail) -> str:
        """Send ``email`` to the addresses in ``to``; return the SES message id."""
        recipients = self._recipients(to)
        request: dict[str, Any] = {
            "Source": self.sender,
            "Destination": {"ToAddresses": recipients},
            "Message": {
                "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": email.text, "Charset": "UTF-8"},
                    "Html": {"Data": email.html, "Charset": "UTF-8"},
                },
            },
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        try:
            response = self.client.send_email(**request)
        except ClientError as error:
            # "from None": the provider's original message may name the address (see module docstring).
            raise self._unverified_identity(error) or classify_client_error(error) from None
        except (BotocoreConnectionError, HTTPClientError) as error:
            raise _classified(error) from None
        return str(response["MessageId"])

    def send_with_attachments(
        self, to: list[str], email: RenderedEmail, attachments: Sequence[Attachment]
    ) -> str:
        """Send ``email`` with files attached (SES ``SendRawEmail``: MIME built here); the message id."""
        from email.message import EmailMessage
        from email.policy import SMTP

        recipients = self._recipients(to)
        message = EmailMessage(policy=SMTP)
        message["Subject"] = email.subject
        message["From"] = self.sender
        message["To"] = ", ".join(recipients)
        message.set_content(email.text)
        message.add_alternative(email.html, subtype="html")
        for attachment in attachments:
            maintype, _, subtype = attachment.content_type.partition("/")
            message.add_attachment(
                attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
            )
        request: dict[str, Any] = {
            "Source": self.sender,
            "Destinations": recipients,
            "RawMessage": {"Data": message.as_bytes()},
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        try:
            response = self.client.send_raw_email(**request)
        except ClientError as error:
            raise self._unverified_identity(error) or classify_client_error(error) from None
        except (BotocoreConnectionError, HTTPClientError) as error:
            raise _classified(error) from None
        return str(response["MessageId"])

    def _recipients(self, to: list[str]) -> list[str]:
        recipients = [address.strip() for address in to if address and address.strip()]
        if not recipients:
            raise PermanentDeliveryError("no recipient address", code="NoRecipient")
        if len(recipients) > _SES_MAX_RECIPIENTS:
            raise PermanentDeliveryError(
                f"{len(recipients)} recipients; SES accepts at most {_SES_MAX_RECIPIENTS}",
                code="TooManyRecipients",
            )
        return recipients

    def _unverified_identity(self, error: ClientError) -> DeliveryError | None:
        """SES's "Email address is not verified" MessageRejected, told apart by whose identity failed.

        SES names the identities that failed the check. The sender's own address or domain means it
        is not verified yet (DKIM records not published or not seen yet): retried until it is. Only
        recipients means the account is still in the SES sandbox, where recipients must be verified
        too: a deployment problem an operator must fix (production access), recorded and alarmed.
        """
        details = error.response.get("Error", {}) or {}
        text = str(details.get("Message") or "").lower()
        if details.get("Code") != "MessageRejected" or "not verified" not in text:
            return None
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        sender = self.sender.lower()
        if sender in text or sender.rsplit("@", 1)[-1] in text:
            return SenderNotVerified(
                "SendEmail failed: the sender identity is not verified yet",
                code="SenderNotVerified",
                http_status=status,
            )
        return ConfigurationDeliveryError(
            "SendEmail failed: a recipient is not verified (the account is in the SES sandbox)",
            code="RecipientNotVerified",
            http_status=status,
        )


class SnsSmsSender:
    """SmsSender over Amazon SNS direct publish to a phone number, as a Transactional SMS."""

    def __init__(self, *, max_price: Decimal, sender_id: str | None = None, client: Any = None) -> None:
        if not max_price.is_finite() or max_price <= 0:
            raise ValueError("max_price must be a positive amount in USD")
        if sender_id is not None and not _SENDER_ID.match(sender_id):
            raise ValueError("sender_id must be 1-11 letters or digits with at least one letter")
        self.max_price = max_price
        self.sender_id = sender_id
        self._client = client

    @property
    def client(self) -> Any:
        """The SNS client, created on first use."""
        if self._client is None:
            self._client = aws_client("sns")
        return self._client

    def send(self, phone_e164: str, text: str) -> str:
        """Send ``text`` to ``phone_e164``; return the SNS message id."""
        if not _E164.match(phone_e164):
            raise PermanentDeliveryError("phone number is not in E.164 form", code="InvalidPhoneNumber")
        if not text.strip():
            raise PermanentDeliveryError("empty SMS text", code="EmptyMessage")
        attributes: dict[str, dict[str, str]] = {
            # Transactional: deadline notices are time-critical, so SNS routes them for reliability
            # rather than lowest cost.
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            # Fixed-point text: str(Decimal("1E-1")) would be scientific notation, which SNS refuses.
            "AWS.SNS.SMS.MaxPrice": {"DataType": "Number", "StringValue": format(self.max_price, "f")},
        }
        if self.sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": self.sender_id}
        response = _call(
            self.client.publish, PhoneNumber=phone_e164, Message=text, MessageAttributes=attributes
        )
        return str(response["MessageId"])
