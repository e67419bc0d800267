"""Delivery adapters (lapor.channels): SES email and SNS SMS under moto, and error classification."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from botocore.stub import Stubber
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from lapor.adapters import aws
from lapor.adapters.channels import (
    ConfigurationDeliveryError,
    DeliveryError,
    EmailSender,
    PermanentDeliveryError,
    SenderNotVerified,
    SesEmailSender,
    SmsSender,
    SnsSmsSender,
    TransientDeliveryError,
    classify_client_error,
    classify_error,
)
from lapor.domain.messages import RenderedEmail

REGION = "ap-southeast-3"
SENDER = "no-reply@lapor.example.go.id"
OFFICIAL = "siti@kemkes.go.id"
PHONE = "+6281100000001"
EMAIL = RenderedEmail(
    subject="[LAPOR! 7KQ2-MX9R-TH4PW] Laporan baru untuk diverifikasi | Kesehatan | Kementerian Kesehatan",
    text="Yth. Siti,\n\nLaporan baru: Puskesmas tutup.\n",
    html=(
        "<!DOCTYPE html>\n<html><body><p>Yth. Siti,</p><p>Laporan baru: Puskesmas tutup.</p></body></html>\n"
    ),
)
SMS = "LAPOR! 7KQ2-MX9R-TH4PW: laporan baru (Kesehatan) utk Anda verifikasi. Verifikasi s.d. 2/12 23.59 WIB."


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials and the Jakarta region, under moto; the shared client cache starts and ends empty."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    aws.client.cache_clear()
    with mock_aws():
        yield
    aws.client.cache_clear()


def offline_client(service: str) -> Any:
    """A real botocore client for Stubber; it never reaches the network."""
    return boto3.client(
        service,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def client_error(
    code: str, status: int = 400, message: str = "boom", operation: str = "SendEmail"
) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        operation,
    )


class RaisingClient:
    """A fake SES/SNS client that fails every call with ``error`` and records the calls."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls: list[dict[str, Any]] = []

    def send_email(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        raise self.error

    def publish(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        raise self.error


# ----------------------------------------------------------------------------------------------- SES


def test_ses_sender_sends_through_ses(aws_env: None) -> None:
    # Given a verified sender identity in the Jakarta region
    ses = boto3.client("ses", region_name=REGION)
    ses.verify_email_identity(EmailAddress=SENDER)
    sender = SesEmailSender(SENDER, client=ses)

    # When an email is sent
    message_id = sender.send([OFFICIAL], EMAIL)

    # Then SES accepted exactly that message
    sent = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    assert [m.id for m in sent] == [message_id]
    assert sent[0].source == SENDER
    assert sent[0].subject == EMAIL.subject
    assert sent[0].destinations["ToAddresses"] == [OFFICIAL]
    assert sent[0].body == EMAIL.html  # moto keeps the HTML part when there is one


def test_ses_sender_creates_its_client_lazily(aws_env: None) -> None:
    sender = SesEmailSender(SENDER)
    assert sender._client is None  # nothing built at construction (cold start, moto ordering)
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)

    message_id = sender.send([OFFICIAL], EMAIL)

    assert sender.client is aws.client("ses")
    assert ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages[-1].id == message_id


def test_ses_unverified_sender_is_retried_and_does_not_leak_the_address(aws_env: None) -> None:
    # Given no verified identity yet (moto answers MessageRejected naming the sender, as SES does
    # between the first deploy and DKIM verification)
    sender = SesEmailSender(SENDER, client=boto3.client("ses", region_name=REGION))

    # When an email is sent
    with pytest.raises(SenderNotVerified) as caught:
        sender.send([OFFICIAL], EMAIL)

    # Then it is a transient failure to retry (until verification), and names no address
    assert isinstance(caught.value, TransientDeliveryError)
    assert caught.value.code == "SenderNotVerified"
    assert SENDER not in str(caught.value) and OFFICIAL not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.parametrize(
    ("failed_identity", "expected", "code"),
    [
        (SENDER, SenderNotVerified, "SenderNotVerified"),
        ("lapor.example.go.id", SenderNotVerified, "SenderNotVerified"),  # the domain identity
        (OFFICIAL, ConfigurationDeliveryError, "RecipientNotVerified"),  # the SES sandbox
    ],
)
def test_ses_not_verified_is_told_apart_by_whose_identity_failed(
    failed_identity: str, expected: type[DeliveryError], code: str
) -> None:
    # Given SES's MessageRejected for an identity that failed the verification check
    message = (
        "Email address is not verified. The following identities failed the check in region "
        f"AP-SOUTHEAST-3: {failed_identity}"
    )
    client = RaisingClient(client_error("MessageRejected", message=message))

    # When an email is sent
    with pytest.raises(expected) as caught:
        SesEmailSender(SENDER, client=client).send([OFFICIAL], EMAIL)

    # Then the sender's own identity is waited for, a recipient's is the sandbox (a configuration error)
    assert caught.value.code == code
    assert failed_identity not in str(caught.value)


def test_ses_other_rejections_stay_permanent() -> None:
    client = RaisingClient(client_error("MessageRejected", message="Message contains a virus."))
    with pytest.raises(PermanentDeliveryError) as caught:
        SesEmailSender(SENDER, client=client).send([OFFICIAL], EMAIL)
    assert not isinstance(caught.value, ConfigurationDeliveryError)
    assert caught.value.code == "MessageRejected"


def test_ses_request_has_text_and_html_bodies_in_utf8() -> None:
    client = offline_client("ses")
    with Stubber(client) as stub:
        stub.add_response(
            "send_email",
            {"MessageId": "msg-1"},
            {
                "Source": SENDER,
                "Destination": {"ToAddresses": [OFFICIAL]},
                "Message": {
                    "Subject": {"Data": EMAIL.subject, "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": EMAIL.text, "Charset": "UTF-8"},
                        "Html": {"Data": EMAIL.html, "Charset": "UTF-8"},
                    },
                },
                "ConfigurationSetName": "lapor-events",
            },
        )
        message_id = SesEmailSender(SENDER, configuration_set="lapor-events", client=client).send(
            [f"  {OFFICIAL} "], EMAIL
        )
        stub.assert_no_pending_responses()
    assert message_id == "msg-1"


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("Throttling", 400, TransientDeliveryError),  # "Maximum sending rate exceeded."
        ("ServiceUnavailable", 503, TransientDeliveryError),
        ("MessageRejected", 400, PermanentDeliveryError),
        ("AccessDenied", 403, ConfigurationDeliveryError),  # the role may not send as the identity
        ("MailFromDomainNotVerifiedException", 400, ConfigurationDeliveryError),
        ("ConfigurationSetDoesNotExist", 400, ConfigurationDeliveryError),
        ("AccountSendingPausedException", 400, ConfigurationDeliveryError),
        ("InvalidParameterValue", 400, PermanentDeliveryError),
    ],
)
def test_ses_errors_are_classified(code: str, status: int, expected: type[DeliveryError]) -> None:
    client = offline_client("ses")
    with Stubber(client) as stub:
        stub.add_client_error("send_email", service_error_code=code, http_status_code=status)
        with pytest.raises(expected) as caught:
            SesEmailSender(SENDER, client=client).send([OFFICIAL], EMAIL)
    assert type(caught.value) is expected
    assert caught.value.code == code
    assert caught.value.http_status == status


def test_ses_refuses_no_recipients_without_calling_ses() -> None:
    client = RaisingClient(AssertionError("must not be called"))
    with pytest.raises(PermanentDeliveryError):
        SesEmailSender(SENDER, client=client).send(["", "  "], EMAIL)
    with pytest.raises(PermanentDeliveryError):
        SesEmailSender(SENDER, client=client).send([f"a{i}@example.com" for i in range(51)], EMAIL)
    assert client.calls == []


# ----------------------------------------------------------------------------------------------- SNS


def test_sns_sender_publishes_an_sms(aws_env: None) -> None:
    sns = boto3.client("sns", region_name=REGION)
    message_id = SnsSmsSender(max_price=Decimal("0.10"), client=sns).send(PHONE, SMS)

    assert sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages[message_id] == (PHONE, SMS)


def test_sns_sender_creates_its_client_lazily(aws_env: None) -> None:
    sender = SnsSmsSender(max_price=Decimal("0.10"))
    assert sender._client is None
    message_id = sender.send(PHONE, SMS)
    assert sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages[message_id] == (PHONE, SMS)


def test_sns_request_is_transactional_with_max_price_and_sender_id() -> None:
    client = offline_client("sns")
    with Stubber(client) as stub:
        stub.add_response(
            "publish",
            {"MessageId": "sms-1"},
            {
                "PhoneNumber": PHONE,
                "Message": SMS,
                "MessageAttributes": {
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                    "AWS.SNS.SMS.MaxPrice": {"DataType": "Number", "StringValue": "0.10"},
                    "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": "LAPOR"},
                },
            },
        )
        sender = SnsSmsSender(
            max_price=Decimal("1E-1").quantize(Decimal("0.01")), sender_id="LAPOR", client=client
        )
        assert sender.send(PHONE, SMS) == "sms-1"
        stub.assert_no_pending_responses()


def test_sns_max_price_is_never_scientific_notation() -> None:
    client = offline_client("sns")
    with Stubber(client) as stub:
        stub.add_response(
            "publish",
            {"MessageId": "sms-2"},
            {
                "PhoneNumber": PHONE,
                "Message": SMS,
                "MessageAttributes": {
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                    "AWS.SNS.SMS.MaxPrice": {"DataType": "Number", "StringValue": "0.00005"},
                },
            },
        )
        SnsSmsSender(max_price=Decimal("5E-5"), client=client).send(PHONE, SMS)
        stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("Throttling", 400, TransientDeliveryError),
        ("ThrottledException", 429, TransientDeliveryError),
        ("InternalError", 500, TransientDeliveryError),
        ("KMSThrottling", 400, TransientDeliveryError),
        ("InvalidParameter", 400, PermanentDeliveryError),
        ("InvalidParameterValue", 400, PermanentDeliveryError),
        ("OptedOut", 400, PermanentDeliveryError),
        ("EndpointDisabled", 400, PermanentDeliveryError),
        ("AuthorizationError", 403, ConfigurationDeliveryError),
        ("KMSAccessDenied", 400, ConfigurationDeliveryError),
    ],
)
def test_sns_errors_are_classified(code: str, status: int, expected: type[DeliveryError]) -> None:
    client = offline_client("sns")
    with Stubber(client) as stub:
        stub.add_client_error("publish", service_error_code=code, http_status_code=status)
        with pytest.raises(expected) as caught:
            SnsSmsSender(max_price=Decimal("0.10"), client=client).send(PHONE, SMS)
    assert type(caught.value) is expected
    assert caught.value.code == code


@pytest.mark.parametrize("number", ["081100000001", "6281100000001", "+62 811 0000 0001", "", "+0123456789"])
def test_sns_refuses_numbers_not_in_e164_without_calling_sns(number: str) -> None:
    client = RaisingClient(AssertionError("must not be called"))
    with pytest.raises(PermanentDeliveryError) as caught:
        SnsSmsSender(max_price=Decimal("0.10"), client=client).send(number, SMS)
    assert client.calls == []
    assert not number or number not in str(caught.value)


def test_sns_refuses_an_empty_message() -> None:
    with pytest.raises(PermanentDeliveryError):
        SnsSmsSender(max_price=Decimal("0.10"), client=RaisingClient(AssertionError())).send(PHONE, "  ")


@pytest.mark.parametrize("sender_id", ["", "LAPOR-ID", "TOOLONGSENDER", "12345"])
def test_sns_sender_id_must_be_valid(sender_id: str) -> None:
    with pytest.raises(ValueError, match="sender_id"):
        SnsSmsSender(max_price=Decimal("0.10"), sender_id=sender_id)


@pytest.mark.parametrize("price", [Decimal("0"), Decimal("-1"), Decimal("NaN"), Decimal("Infinity")])
def test_sns_max_price_must_be_positive(price: Decimal) -> None:
    with pytest.raises(ValueError, match="max_price"):
        SnsSmsSender(max_price=price)


# ------------------------------------------------------------------------------------- classification


@pytest.mark.parametrize(
    "code",
    [
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "ServiceUnavailable",
        "InternalFailure",
        "InternalError",
        "RequestTimeout",
        "KMSThrottling",
    ],
)
def test_transient_codes(code: str) -> None:
    assert isinstance(classify_client_error(client_error(code)), TransientDeliveryError)


@pytest.mark.parametrize(
    "code", ["MessageRejected", "InvalidParameter", "InvalidParameterValue", "OptedOut", "EndpointDisabled"]
)
def test_permanent_codes(code: str) -> None:
    classified = classify_client_error(client_error(code))
    assert isinstance(classified, PermanentDeliveryError)
    assert not isinstance(classified, ConfigurationDeliveryError)


@pytest.mark.parametrize(
    "code",
    [
        "AccessDenied",
        "AccessDeniedException",
        "AuthorizationError",
        "MailFromDomainNotVerified",
        "MailFromDomainNotVerifiedException",
        "ConfigurationSetDoesNotExist",
        "AccountSendingPaused",
        "AccountSendingPausedException",
        "KMSAccessDenied",
    ],
)
def test_configuration_codes_are_not_retried_but_told_apart(code: str) -> None:
    # Given an error that every message would hit until an operator fixes the deployment
    classified = classify_client_error(client_error(code, 403))
    # Then it is not retried (permanent) and is a configuration error (recorded and alarmed)
    assert isinstance(classified, ConfigurationDeliveryError)
    assert isinstance(classified, PermanentDeliveryError)
    assert not isinstance(classified, TransientDeliveryError)


def test_any_5xx_and_unknown_codes_are_transient() -> None:
    assert isinstance(classify_client_error(client_error("SomethingNew", 502)), TransientDeliveryError)
    # Unknown 4xx: retried; the DLQ bounds the cost of being wrong
    unknown = classify_client_error(client_error("SomethingNew", 400))
    assert isinstance(unknown, TransientDeliveryError)
    assert (unknown.code, unknown.http_status) == ("SomethingNew", 400)


def test_classified_messages_do_not_carry_contact_details() -> None:
    error = client_error(
        "MessageRejected",
        message=f"Email address is not verified. The following identities failed the check: {OFFICIAL}, "
        "call +62 811-0000-0001",
    )
    classified = classify_client_error(error)
    assert OFFICIAL not in str(classified)
    assert "0000" not in str(classified)
    assert "MessageRejected" in str(classified) and "SendEmail" in str(classified)


@pytest.mark.parametrize(
    "error",
    [
        EndpointConnectionError(endpoint_url="https://email.ap-southeast-3.amazonaws.com"),
        ConnectTimeoutError(endpoint_url="https://sns.ap-southeast-3.amazonaws.com"),
        ReadTimeoutError(endpoint_url="https://sns.ap-southeast-3.amazonaws.com"),
        ConnectionClosedError(endpoint_url="https://sns.ap-southeast-3.amazonaws.com"),
    ],
)
def test_network_failures_are_transient_for_both_adapters(error: Exception) -> None:
    assert isinstance(classify_error(error), TransientDeliveryError)
    with pytest.raises(TransientDeliveryError):
        SesEmailSender(SENDER, client=RaisingClient(error)).send([OFFICIAL], EMAIL)
    with pytest.raises(TransientDeliveryError):
        SnsSmsSender(max_price=Decimal("0.10"), client=RaisingClient(error)).send(PHONE, SMS)


def test_other_exceptions_are_not_delivery_errors() -> None:
    # A programming error must surface as itself, not be retried as if SES were down
    assert classify_error(KeyError("MessageId")) is None
    with pytest.raises(TypeError):
        SesEmailSender(SENDER, client=RaisingClient(TypeError("bad"))).send([OFFICIAL], EMAIL)


def test_adapters_satisfy_the_ports() -> None:
    assert isinstance(SesEmailSender(SENDER, client=object()), EmailSender)
    assert isinstance(SnsSmsSender(max_price=Decimal("0.10"), client=object()), SmsSender)
    assert issubclass(TransientDeliveryError, DeliveryError)
    assert issubclass(PermanentDeliveryError, DeliveryError)
