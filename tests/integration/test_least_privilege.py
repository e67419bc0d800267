"""Least privilege to the action: each function's role grants exactly the AWS calls its code makes.

Every AWS request the real handlers send while they run (on moto) is recorded and attributed to the
function whose entry module is on the call stack; each request becomes the IAM action and resource it
needs (a transaction needs each item's action on its table). The synthesized template's grants, minus
what AWS services do with the role themselves (event source mappings: stream and queue reads), must
equal those calls exactly: a grant no code path uses fails, and so does a call the role lacks.

The scenarios drive every path that calls AWS, rare ones included (a retried key, an idempotent
action that fails, a transient send failure, mail awaiting the sender's verification). A new function
adds a row to FUNCTIONS and a scenario to SCENARIOS.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from tests.helpers import api_event, context, response_json
from tests.infra.conftest import SKIP_BUNDLING, load_app_module
from tests.integration import conftest_route_notify as harness

pipeline = harness.pipeline  # the shared fixture (pytest finds it by this module attribute)

Grant = tuple[str, str]  # (IAM action, resource token such as "table:Reports" or "index:Reports/due")


@dataclass(frozen=True)
class FunctionAccess:
    """One function: its entry module, its template logical-id prefix, and what AWS does with its role."""

    module: str
    template_prefix: str
    # Grants used by AWS services acting with the function's role, not by its code (Lambda's event
    # source mappings read the stream or queue and write to the on-failure destination).
    service_grants: frozenset[Grant] = frozenset()


FUNCTIONS = {
    "intake": FunctionAccess("intake_app", "IntakeApiFunction"),
    "route": FunctionAccess(
        "route_app",
        "RouterFunction",
        frozenset(
            {
                ("dynamodb:DescribeStream", "stream:Reports"),
                ("dynamodb:GetRecords", "stream:Reports"),
                ("dynamodb:GetShardIterator", "stream:Reports"),
                ("dynamodb:ListStreams", "*"),
                ("sqs:SendMessage", "queue:RouterFailureQueue"),
            }
        ),
    ),
    "sla_check": FunctionAccess("sla_check_app", "SlaScheduleFunction"),
    "notify": FunctionAccess(
        "notify_app",
        "NotificationsFunction",
        frozenset(
            {
                ("sqs:ReceiveMessage", "queue:NotifyQueue"),
                ("sqs:DeleteMessage", "queue:NotifyQueue"),
                ("sqs:GetQueueAttributes", "queue:NotifyQueue"),
            }
        ),
    ),
    "sms_status": FunctionAccess("sms_status_app", "SmsDeliveryStatusFunction"),
    "attachments": FunctionAccess("attachments_app", "UploadsFunction"),
    "tally": FunctionAccess(
        "tally_app",
        "TallyFunction",
        frozenset(
            {
                ("dynamodb:DescribeStream", "stream:Reports"),
                ("dynamodb:GetRecords", "stream:Reports"),
                ("dynamodb:GetShardIterator", "stream:Reports"),
                ("dynamodb:ListStreams", "*"),
                ("sqs:SendMessage", "queue:TallyFailureQueue"),
            }
        ),
    ),
    "evaluation": FunctionAccess("evaluation_app", "MonthlyJobsEvaluationFunction"),
    "export": FunctionAccess("export_app", "MonthlyJobsExportFunction"),
}
ENTRY_MODULES = {access.module: name for name, access in FUNCTIONS.items()}
# Calls no code makes: the runtime writes the function's logs, X-Ray its traces, and KMS is used by
# DynamoDB, SQS and SNS on the caller's behalf (checked by tests/infra: no kms:Encrypt anywhere).
IMPLICIT_PREFIXES = ("logs:", "xray:", "kms:")


# ---- what the code calls ---------------------------------------------------------------------------


class Recorder:
    """Every AWS request a Lapor function's code makes, as IAM grants, by function."""

    def __init__(self, tables: dict[str, str], queues: dict[str, str]) -> None:
        self.tables = tables  # physical name -> logical id (Reports, Directory, Idempotency)
        self.queues = queues  # queue URL -> logical id prefix
        self.calls: dict[str, set[Grant]] = defaultdict(set)
        self.failures: dict[str, list[ClientError]] = defaultdict(list)  # operation -> errors to raise

    def function(self) -> str | None:
        frame = sys._getframe(2)
        while frame is not None:
            name = ENTRY_MODULES.get(frame.f_globals.get("__name__", ""))
            if name:
                return name
            frame = frame.f_back
        return None

    def record(self, service: str, operation: str, params: dict[str, Any]) -> None:
        function = self.function()
        if function is None:
            return  # the test's own setup and checks
        self.calls[function] |= self.grants(service, operation, params)
        if self.failures.get(operation):
            raise self.failures[operation].pop(0)

    def grants(self, service: str, operation: str, params: dict[str, Any]) -> set[Grant]:
        if service == "dynamodb":
            if operation == "TransactWriteItems":
                kinds = {
                    "Put": "PutItem",
                    "Update": "UpdateItem",
                    "Delete": "DeleteItem",
                    "ConditionCheck": "ConditionCheckItem",
                }
                return {
                    (f"dynamodb:{kinds[kind]}", self.table(body))
                    for item in params["TransactItems"]
                    for kind, body in item.items()
                }
            return {(f"dynamodb:{operation}", self.table(params))}
        if service == "sqs":
            action = "SendMessage" if operation == "SendMessageBatch" else operation
            return {(f"sqs:{action}", f"queue:{self.queues[params['QueueUrl']]}")}
        if service == "ses":
            return {(f"ses:{operation}", "ses:sender")}
        if service == "sns" and operation == "Publish" and "PhoneNumber" in params:
            return {("sns:Publish", "sms")}
        if service == "s3":
            return self.s3(operation, params)
        if service == "secretsmanager":
            return {(f"secretsmanager:{operation}", "secret:Receipt")}
        if service == "cognito-idp" and "UserPoolId" in params:
            return {(f"cognito-idp:{operation}", "pool:Officials")}
        return {(f"{service}:{operation}", "?")}

    @staticmethod
    def s3(operation: str, params: dict[str, Any]) -> set[Grant]:
        """S3 requests, as grants on key prefixes (``s3:clean/``; open data: ``s3:open-data/reports/``)."""
        depth = 2 if params["Key"].startswith("open-data/") else 1
        prefix = "s3:" + "".join(f"{part}/" for part in params["Key"].split("/")[:depth])
        if operation == "HeadObject":
            # A HEAD needs GetObject; ListBucket makes a missing key answer 404 (not 403), which is
            # how the code tells "not there yet".
            return {("s3:GetObject", prefix), ("s3:ListBucket", "s3:bucket")}
        grants = {(f"s3:{operation}", prefix)}
        if operation == "PutObject" and "Tagging" in params:
            grants.add(("s3:PutObjectTagging", prefix))
        return grants

    def presigned(self, action: str, key: str) -> None:
        """A URL or form signed for someone else (a browser) to use with the function's credentials."""
        function = self.function()
        if function is not None:
            self.calls[function].add((action, f"s3:{key.split('/', 1)[0]}/"))

    def table(self, params: dict[str, Any]) -> str:
        table = self.tables[params["TableName"]]
        return f"index:{table}/{params['IndexName']}" if "IndexName" in params else f"table:{table}"


@pytest.fixture
def recorder(pipeline: harness.Pipeline, monkeypatch: pytest.MonkeyPatch) -> Recorder:
    names = pipeline.resources.names
    resources = pipeline.resources
    recorder = Recorder(
        tables={
            names.reports_table: "Reports",
            names.directory_table: "Directory",
            names.idempotency_table: "Idempotency",
            names.aggregates_table: "Aggregates",
        },
        queues={
            resources.notify_queue_url: "NotifyQueue",
            resources.route_failures_url: "RouterFailureQueue",
            resources.tally_failures_url: "TallyFailureQueue",
        },
    )
    real = BaseClient._make_api_call

    def recording(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        recorder.record(client.meta.service_model.service_name, operation, params)
        return real(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    # Presigned forms and URLs are signed locally and used by a browser, with the signer's rights.
    from lapor.adapters.uploads import CLEAN, INCOMING, UploadStore

    real_post, real_url = UploadStore.presigned_post, UploadStore.download_url

    def presigned_post(store: UploadStore, upload_id: str, **kwargs: Any) -> Any:
        recorder.presigned("s3:PutObject", INCOMING + upload_id)
        return real_post(store, upload_id, **kwargs)

    def download_url(store: UploadStore, upload_id: str, **kwargs: Any) -> Any:
        recorder.presigned("s3:GetObject", CLEAN + upload_id)
        return real_url(store, upload_id, **kwargs)

    monkeypatch.setattr(UploadStore, "presigned_post", presigned_post)
    monkeypatch.setattr(UploadStore, "download_url", download_url)
    return recorder


# ---- what the template grants -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    """The stack as `make synth` builds it (cdk-nag off: tests/infra checks it), bundling skipped."""
    import tempfile

    app_module = load_app_module()
    with tempfile.TemporaryDirectory() as outdir:
        app = app_module.build_app(context=dict(SKIP_BUNDLING), outdir=outdir, nag=False)
        app.synth()
        (path,) = [p for p in __import__("pathlib").Path(outdir).glob("Lapor-*.template.json")]
        return json.loads(path.read_text())


def resource_token(resource: Any, logical: dict[str, str]) -> str:
    """A template resource as the recorder names it (``table:Reports``, ``index:Reports/due``, ...)."""
    text = json.dumps(resource)
    if resource == "*":
        return "*"
    if ":ses:" in text:
        return "ses:sender"  # the account's identities (held to the sender by ses:FromAddress) or the set
    if "OpenDataBucket" in text:
        # the data bucket (referred to): a key prefix's objects, e.g. "/evaluations/*"
        return "s3:" + text.split("/", 1)[1].split("*", 1)[0]
    if ":s3:::" in text and "-uploads-" in text:
        # the uploads bucket (named, not referred to): a key prefix's objects, or the bucket itself
        prefix = (
            text.rsplit('"', 2)[-2].split("/", 1)[1].removesuffix("*")
            if "/" in text.rsplit('"', 2)[-2]
            else ""
        )
        return f"s3:{prefix}" if prefix else "s3:bucket"
    if '"IdentityOfficials' in text:
        return "pool:Officials"
    if '"IntakeApiReceiptSecret' in text:
        return "secret:Receipt"
    for logical_id, token in logical.items():
        if f'"{logical_id}"' in text:
            if "StreamArn" in text:
                return f"stream:{token.split(':', 1)[1]}"
            if "/index/" in text:
                index = text.split("/index/", 1)[1].split('"', 1)[0]
                return f"index:{token.split(':', 1)[1]}/{index}"
            return token
    return f"?{text}"


def granted(template: dict[str, Any], prefix: str) -> set[Grant]:
    """Every (action, resource) the function's role allows, minus logs, X-Ray and KMS."""
    resources = template["Resources"]
    logical: dict[str, str] = {}
    for logical_id, resource in resources.items():
        for table in ("Reports", "Directory", "Idempotency", "Aggregates"):
            if resource["Type"] == "AWS::DynamoDB::Table" and logical_id.startswith(f"Data{table}"):
                logical[logical_id] = f"table:{table}"
        if resource["Type"] == "AWS::SQS::Queue" and "DeadLetter" not in logical_id:
            for queue in ("NotifyQueue", "RouterFailureQueue", "TallyFailureQueue"):
                if logical_id.startswith(queue):
                    logical[logical_id] = f"queue:{queue}"
    (function,) = [
        r for n, r in resources.items() if r["Type"] == "AWS::Lambda::Function" and n.startswith(prefix)
    ]
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    statements = [
        statement
        for policy in resources.values()
        if policy["Type"] == "AWS::IAM::Policy" and {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Allow"
    ]
    grants: set[Grant] = set()
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        targets = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        for action in actions:
            if action.startswith(IMPLICIT_PREFIXES):
                continue
            for target in targets:
                token = resource_token(target, logical)
                grants.add((action, "sms" if action == "sns:Publish" and token == "*" else token))
    return grants


# ---- the scenarios: every path of each function that calls AWS ---------------------------------------


def official(report_id: str, pipe: harness.Pipeline) -> dict[str, Any]:
    return {"custom:official_id": pipe.report(report_id).assignee, "token_use": "id"}


def intake_scenario(pipe: harness.Pipeline, recorder: Recorder) -> None:
    import intake_app

    def call(
        method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        all_headers = {"Content-Type": "application/json", **(headers or {})} if body is not None else headers
        event = api_event(method, path, body, headers=all_headers, **kwargs)
        return intake_app.lambda_handler(event, context("lapor-intake"))

    # Citizens: submit (with a key, then its retry), track, categories, statistics, the contract
    created = call("POST", "/reports", harness.HEALTH, headers={"Idempotency-Key": "k-1"})
    assert created["statusCode"] == 201
    assert call("POST", "/reports", harness.HEALTH, headers={"Idempotency-Key": "k-1"})["statusCode"] == 201
    report_id = response_json(created)["id"]
    pipe.route()
    assert call("GET", f"/reports/{report_id}")["statusCode"] == 200
    assert call("GET", "/categories")["statusCode"] == 200
    assert call("GET", "/stats", query="period=2026-02")["statusCode"] == 200
    # Officials: inbox, an action with a key (powertools' record), one that fails (record deleted),
    # a forward (another agency's loads), and the reporter's feedback
    claims = official(report_id, pipe)
    assert call("GET", "/inbox", claims=claims)["statusCode"] == 200
    verify = {"action": "verify", "note": "Diverifikasi"}
    assert (
        call(
            "POST", f"/reports/{report_id}/actions", verify, claims=claims, headers={"Idempotency-Key": "a-1"}
        )["statusCode"]
        == 200
    )
    again = {"action": "verify", "note": "Sudah diverifikasi"}
    refused = call(
        "POST", f"/reports/{report_id}/actions", again, claims=claims, headers={"Idempotency-Key": "a-2"}
    )
    assert refused["statusCode"] == 409, refused["body"]
    second = response_json(call("POST", "/reports", harness.COVID))["id"]
    pipe.route()
    admin = {"custom:official_id": "dinkes-dki-admin", "token_use": "id"}
    forward = {"action": "forward", "note": "Bukan wewenang", "to_agency": "KEMENKES"}
    forwarded = call("POST", f"/reports/{second}/actions", forward, claims=admin)
    assert forwarded["statusCode"] == 200, forwarded["body"]
    feedback = {"receipt": response_json(created)["receipt"], "action": "accept"}
    assert call("POST", f"/reports/{report_id}/feedback", feedback)["statusCode"] in {200, 409}
    # Attachments: an upload form, a report naming a cleaned upload, an official's download links
    upload_id = cleaned_upload(pipe, call)
    with_photo = call("POST", "/reports", harness.HEALTH | {"attachments": [upload_id]})
    assert with_photo["statusCode"] == 201, with_photo["body"]
    photo_report = response_json(with_photo)["id"]
    pipe.route()
    listed = call("GET", f"/reports/{photo_report}/attachments", claims=official(photo_report, pipe))
    assert response_json(listed)[0]["status"] == "ready", listed["body"]
    # ... and a report naming an upload not cleaned yet (its type read from the file as posted)
    raw = upload_only(call)
    assert call("POST", "/reports", harness.HEALTH | {"attachments": [raw]})["statusCode"] == 201
    # The workspace: every inbox question (each index), the tabs, pickers, an assignment, and an admin
    # whose TOTP enrolment the API checks (mfa=required)
    for query in ("status=verified", "sort=created", "overdue=true", f"q={second}"):
        assert call("GET", "/inbox", claims=admin, query=query)["statusCode"] == 200
    assert call("GET", "/inbox/summary", claims=admin)["statusCode"] == 200
    kemenkes_admin = {"custom:official_id": "kemenkes-admin", "token_use": "id"}
    assert call("GET", "/officials", claims=kemenkes_admin)["statusCode"] == 200
    assert call("GET", "/agencies")["statusCode"] == 200
    assign = {"action": "assign", "to_official": "kemenkes-admin"}
    assert call("POST", f"/reports/{second}/actions", assign, claims=kemenkes_admin)["statusCode"] == 200
    _require_totp(pipe)
    claims = kemenkes_admin | {"cognito:username": "kemenkes-admin"}
    assert call("GET", "/me", claims=claims)["statusCode"] == 200
    assert call("GET", "/inbox", claims=claims)["statusCode"] == 403
    # Open311: a partner's key (its hash) read to file a request; the public index read by a list
    open311_partner(pipe)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    filed = call("POST", "/open311/v2/requests.json", OPEN311_FORM, headers=form)
    assert filed["statusCode"] == 200, filed["body"]
    listed = call("GET", "/open311/v2/requests.xml", query="status=open&service_code=kesehatan")
    assert listed["statusCode"] == 200, listed["body"]
    assert call("GET", f"/open311/v2/requests/{report_id}.json")["statusCode"] == 200


OPEN311_FORM = urlencode(
    {
        "api_key": "least-privilege-partner",
        "service_code": "kesehatan",
        "description": "Puskesmas tutup pada jam layanan hari Senin.",
        "attribute[region]": "32.73",
    }
).encode()


def open311_partner(pipe: harness.Pipeline) -> None:
    """The partner key OPEN311_FORM carries, stored as an operator's command stores it."""
    from datetime import UTC, datetime

    from lapor.adapters.partners import PartnerKeys

    PartnerKeys(pipe.resources.names.directory_table, client=pipe.session.client("dynamodb")).add(
        "Least privilege", "least-privilege-partner", now=datetime.now(UTC)
    )


def upload_only(call: Callable[..., dict[str, Any]]) -> str:
    """A JPEG posted through an upload form, not processed yet; its id."""
    import requests

    from tests.integration.test_attachments import jpeg_with_gps

    data = jpeg_with_gps()
    ticket = call(
        "POST", "/uploads", {"filename": "foto.jpg", "content_type": "image/jpeg", "size": len(data)}
    )
    assert ticket["statusCode"] == 201, ticket["body"]
    form = response_json(ticket)
    posted = requests.post(form["url"], data=form["fields"], files={"file": ("foto.jpg", data)}, timeout=10)
    assert posted.status_code < 300
    return form["upload_id"]


def cleaned_upload(pipe: harness.Pipeline, call: Callable[..., dict[str, Any]]) -> str:
    """A JPEG uploaded through an upload form and cleaned by the attachments function; its id."""
    upload_id = upload_only(call)
    process_uploads(pipe)
    return upload_id


def process_uploads(pipe: harness.Pipeline) -> None:
    """The attachments function on every S3 event so far, as S3 invokes it."""
    import attachments_app

    from local.pollers import S3EventPoller

    attachments_app.store.cache_clear()
    poller = S3EventPoller(
        session=harness.shared_session(),
        queue_url=pipe.resources.upload_events_url,
        queue_arn="",
        handler=attachments_app.lambda_handler,
        function_name="lapor-attachments",
    )
    while poller.poll_once():
        pass


def _require_totp(pipe: harness.Pipeline) -> None:
    """The intake function as deployed with mfa=required, against a pool holding the test directory."""
    import intake_app

    from lapor.adapters.identity import MfaDirectory
    from local.auth import create_user_pool
    from ops.directory_ops import load_directory_file
    from ops.identity_ops import sync_officials
    from tests.integration.conftest import TEST_DIRECTORY

    cognito = pipe.session.client("cognito-idp")
    pool = create_user_pool(
        cognito, name="officials", region="ap-southeast-3", endpoint="https://x", mfa=True
    )
    sync_officials(load_directory_file(TEST_DIRECTORY), pool_id=pool.pool_id, client=cognito, invite=False)
    services = intake_app.services()
    services.settings = services.settings.model_copy(update={"mfa_required": True})
    services.__dict__["mfa_directory"] = MfaDirectory(pool.pool_id)


def route_scenario(pipe: harness.Pipeline, recorder: Recorder) -> None:
    pipe.submit(harness.HEALTH)
    pipe.route()  # an INSERT (dispatch) and the MODIFY that carries its outbox (relay)


def sla_check_scenario(pipe: harness.Pipeline, recorder: Recorder) -> None:
    import sla_check_app

    from lapor.domain.messages import Event, Notification

    def run(at: Any, event: dict[str, Any] | None = None) -> dict[str, Any]:
        sla_check_app.services.cache_clear()
        sla_check_app.services().clock = harness.fixed_clock(at)
        return sla_check_app.lambda_handler(event or {}, context("lapor-sla-check", 60))

    # A dispatched report whose assignment message is lost on the way to the notifier
    pipe.submit(harness.HEALTH)
    pipe.route()
    messages = [Notification.model_validate(body) for body in pipe.drain()]
    pipe.enqueue(*(m for m in messages if m.event != Event.ASSIGNED))
    pipe.notify()
    # The re-drive sends it again (pending item kept), the next run confirms it (pending item gone)
    later = harness.ROUTED_AT + timedelta(minutes=11)
    assert run(later)["redrive"]["redriven"] == 1
    pipe.notify()
    assert run(later + timedelta(minutes=11))["redrive"]["confirmed"] == 1
    # Escalation once the verify deadline has passed, and the daily calendar check
    assert run(harness.SUBMITTED_AT + timedelta(days=30))["escalated"]["level_1"] == 1
    assert run(harness.SUBMITTED_AT, {"check": "calendar"})["check"] == "calendar"
    sla_check_app.services.cache_clear()


def notify_scenario(pipe: harness.Pipeline, recorder: Recorder) -> None:
    import notify_app

    sender = notify_app.services().settings.sender_email

    report_id = pipe.submit(harness.HEALTH)
    pipe.route()
    # A throttled email (its claim released, its message delayed), then one refused until the sender
    # is verified (re-enqueued as a new message); the other messages go out by email and SMS
    throttled = ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "SendEmail")
    unverified = ClientError(
        {
            "Error": {
                "Code": "MessageRejected",
                "Message": f"Email address is not verified. The following identities failed the check: {sender}",
            }
        },
        "SendEmail",
    )
    recorder.failures["SendEmail"] = [throttled, unverified]
    pipe.notify()
    assert not recorder.failures["SendEmail"]
    # A permanent failure (an invalid address) records an internal timeline event
    invalid = ClientError({"Error": {"Code": "InvalidParameterValue", "Message": "bad address"}}, "SendEmail")
    recorder.failures["SendEmail"] = [invalid]
    from lapor.domain.messages import Event, Notification

    pipe.enqueue(Notification.for_(report_id, Event.STATUS, "reporter", stage="verified", seq=9))
    pipe.notify()
    assert any(e.action == "undeliverable" for e in pipe.timeline(report_id))


def sms_status_scenario(pipe: harness.Pipeline, recorder: Recorder) -> None:
    import sms_status_app

    from tests.integration.test_delivery_problems import delivery_status_event, failure_line

    report_id = pipe.submit(harness.HEALTH)
    pipe.route()
    pipe.notify()
    assignee = pipe.report(report_id).assignee
    marker = pipe.marker(f"{report_id}:assigned:1:{assignee}#sms", report_id)
    sms_status_app.services.cache_clear()
    result = sms_status_app.lambda_handler(
        delivery_status_event(failure_line(marker["sms_message_id"]["S"])), context()
    )
    assert result["recorded"] == 1
    sms_status_app.services.cache_clear()


def attachments_scenario(pipe: harness.Pipeline, recorder: Recorder) -> None:
    import intake_app
    import requests

    def call(method: str, path: str, body: Any = None, **kwargs: Any) -> dict[str, Any]:
        return intake_app.lambda_handler(api_event(method, path, body, **kwargs), context("lapor-intake"))

    # A photo cleaned before its report names it, one named before it is cleaned (the mark is found),
    # and a file whose bytes are not what it claims (dropped)
    first = cleaned_upload(pipe, call)
    assert call("POST", "/reports", harness.HEALTH | {"attachments": [first]})["statusCode"] == 201
    second = upload_only(call)
    assert call("POST", "/reports", harness.HEALTH | {"attachments": [second]})["statusCode"] == 201
    fake = response_json(
        call("POST", "/uploads", {"filename": "c.jpg", "content_type": "image/jpeg", "size": 9})
    )
    requests.post(fake["url"], data=fake["fields"], files={"file": ("c.jpg", b"MZ-binary")}, timeout=10)
    process_uploads(pipe)


def tally(pipe: harness.Pipeline) -> None:
    """The tally on every report change of the stream so far, as its event source mapping runs it."""
    import tally_app

    from local.pollers import StreamPoller, matches_report_filter

    tally_app.services.cache_clear()
    poller = StreamPoller(
        session=pipe.session,
        stream_arn=pipe.resources.reports_stream_arn,
        handler=tally_app.lambda_handler,
        function_name="lapor-tally",
        on_failure_url=pipe.resources.tally_failures_url,
        record_filter=matches_report_filter,
    )
    while poller.poll_once():
        pass


def tally_scenario(pipe: harness.Pipeline, recorder: Recorder) -> None:
    pipe.submit(harness.HEALTH)
    pipe.route()
    tally(pipe)  # the new report, its dispatch, and (replayed by a second mapping) nothing twice


def evaluation_scenario(pipe: harness.Pipeline, recorder: Recorder) -> None:
    import evaluation_app

    from lapor.adapters.channels import TransientDeliveryError

    pipe.submit(harness.HEALTH)
    pipe.route()
    tally(pipe)
    evaluation_app.services.cache_clear()
    period = {"period": harness.SUBMITTED_AT.strftime("%Y-%m")}
    # A throttled send releases its claim (the job fails and is retried); the retry sends the rest
    throttled = ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "SendRawEmail")
    recorder.failures["SendRawEmail"] = [throttled]
    with pytest.raises(TransientDeliveryError):
        evaluation_app.lambda_handler(period, context("lapor-evaluation", 300))
    assert evaluation_app.lambda_handler(period, context("lapor-evaluation", 300))["emails"] >= 3
    evaluation_app.services.cache_clear()


def export_scenario(pipe: harness.Pipeline, recorder: Recorder) -> None:
    import export_app

    pipe.submit(harness.HEALTH)
    pipe.route()
    export_app.services.cache_clear()
    result = export_app.lambda_handler({"period": harness.SUBMITTED_AT.strftime("%Y-%m")}, context())
    assert len(result["keys"]) == 1
    export_app.services.cache_clear()


SCENARIOS: dict[str, Callable[[harness.Pipeline, Recorder], None]] = {
    "intake": intake_scenario,
    "route": route_scenario,
    "sla_check": sla_check_scenario,
    "notify": notify_scenario,
    "sms_status": sms_status_scenario,
    "attachments": attachments_scenario,
    "tally": tally_scenario,
    "evaluation": evaluation_scenario,
    "export": export_scenario,
}


def test_every_function_has_a_row_and_a_scenario() -> None:
    from lapor_infra import constants as c

    load_app_module()
    assert set(FUNCTIONS) == set(SCENARIOS) == {spec.name for spec in c.ALL_FUNCTIONS}


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_role_grants_exactly_what_the_code_calls(
    name: str, pipeline: harness.Pipeline, recorder: Recorder, template: dict[str, Any]
) -> None:
    # Given every path of the function that calls AWS, run on moto with its requests recorded
    SCENARIOS[name](pipeline, recorder)
    called = recorder.calls[name]
    assert called, f"the {name} scenario made no AWS call"
    # When the deployed role's grants are read from the template (minus what AWS services use it for)
    access = FUNCTIONS[name]
    deployed = granted(template, access.template_prefix)
    # Then they are the same set: nothing granted that no code calls, nothing called that is not granted
    assert access.service_grants <= deployed, "an event source's permissions are missing"
    code_grants = deployed - access.service_grants
    assert (sorted(code_grants - called), sorted(called - code_grants)) == ([], []), (
        "(granted but never called, called but not granted)"
    )
