"""Assembles the local stack: moto server, resources, directory, gateway, pollers and schedule."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.auth import DEFAULT_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
FUNCTION_DIRS = [
    ROOT / "functions" / name
    for name in ("intake", "route", "sla_check", "notify", "attachments", "tally", "evaluation", "export")
]
LAYER_DIR = ROOT / "layers" / "common" / "python"
DEMO_DIRECTORY = ROOT / "local" / "directory.demo.yaml"
WEB_ROOT = ROOT / "web"
# Officials' routes sit behind the Cognito authorizer in the deployed API.
NOTIFY_CONCURRENCY = 4
PROTECTED = {
    ("GET", "/inbox"),
    ("GET", "/inbox/summary"),
    ("GET", "/me"),
    ("GET", "/officials"),
    ("POST", "/reports/{id}/actions"),
    ("GET", "/reports/{id}/attachments"),
}
# The Open311 partner key the local stack accepts (stored hashed, like a deployed partner's).
LOCAL_OPEN311_KEY = "local-open311-key"
LOCAL_OPEN311_PARTNER = "Local Open311 client"
# The monthly jobs POST /_local/jobs/{name} runs, and their entry modules.
JOBS = {"evaluation": "evaluation_app", "export": "export_app"}
# A poller finishes the invocation it is in before it stops; an SLA run can take this long.
POLLER_STOP_SECONDS = 60
# The tally's stream mapping gathers records this long before an invocation, as deployed.
TALLY_BATCHING_WINDOW_SECONDS = 2.0


@dataclass
class LocalConfig:
    """What the operator can choose; defaults match the documented ones."""

    host: str = "127.0.0.1"
    port: int = 8080
    aws_port: int = 5000
    directory: Path = DEMO_DIRECTORY
    state_file: Path | None = None
    sla_interval: float = 60.0
    prefix: str = "lapor-local"
    cors_origins: str = ""  # empty: the stack's own URL and its localhost twin
    password: str = DEFAULT_PASSWORD
    mfa: bool = False

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> LocalConfig:
        """Read LAPOR_PORT, LAPOR_AWS_PORT, LAPOR_DIRECTORY, LAPOR_LOCAL_STATE, LAPOR_SLA_INTERVAL,
        LAPOR_LOCAL_PASSWORD and LAPOR_MFA (``required`` or ``off``)."""
        env = os.environ if environ is None else environ
        return cls(
            port=int(env.get("LAPOR_PORT", "8080")),
            aws_port=int(env.get("LAPOR_AWS_PORT", "5000")),
            directory=Path(env["LAPOR_DIRECTORY"]) if env.get("LAPOR_DIRECTORY") else DEMO_DIRECTORY,
            state_file=Path(env["LAPOR_LOCAL_STATE"]) if env.get("LAPOR_LOCAL_STATE") else None,
            sla_interval=float(env.get("LAPOR_SLA_INTERVAL", "60")),
            cors_origins=env.get("LAPOR_CORS_ORIGINS", ""),
            password=env.get("LAPOR_LOCAL_PASSWORD") or cls.password,
            mfa=_mfa_setting(env.get("LAPOR_MFA", "off")),
        )


def _mfa_setting(value: str) -> bool:
    if value.strip().lower() not in {"required", "off"}:
        raise ValueError(f"LAPOR_MFA must be required or off, got {value!r}")
    return value.strip().lower() == "required"


def _prepare_imports() -> None:
    # The same layout Lambda gives a function: its code root and the layer's /opt/python on sys.path.
    for path in [LAYER_DIR, *FUNCTION_DIRS]:
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))


class LocalStack:
    """The whole pipeline in one process; ``start()`` then ``stop()`` (or use as a context manager)."""

    def __init__(self, config: LocalConfig | None = None, *, log: Callable[[str], None] = print) -> None:
        self.config = config or LocalConfig()
        self.log = log
        self.moto: Any = None
        self.http: Any = None
        self.threads: list[Any] = []
        self._api_lock = threading.Lock()
        self._token_lock = threading.Lock()

    # ---- lifecycle ----------------------------------------------------------------------------

    def start(self) -> LocalStack:
        """Start moto, create resources, load the directory, start the gateway and the pollers."""
        cfg = self.config
        # moto runs in its own process: it and the handlers then use a core each.
        # In a session of its own: Ctrl-C in the terminal reaches only this process, which then stops
        # the gateway, the pollers and the schedule before it stops moto (moto watches for our exit).
        self.moto = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "local.moto_process", cfg.host, str(cfg.aws_port)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert self.moto.stdout is not None
        ready = self.moto.stdout.readline()
        if not ready.startswith("moto-ready "):
            self.moto.wait(timeout=10)
            raise OSError(f"moto could not start on {cfg.host}:{cfg.aws_port}")
        threading.Thread(target=self.moto.stdout.read, name="moto-output", daemon=True).start()
        self.aws_endpoint = f"http://{cfg.host}:{int(ready.split()[1])}"
        self.log(f"moto (AWS services) on {self.aws_endpoint}")

        # Handlers find AWS through the standard variables, exactly as on Lambda but pointed at moto.
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": self.aws_endpoint,
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_SESSION_TOKEN": "local",
                "AWS_REGION": "ap-southeast-3",
                "AWS_DEFAULT_REGION": "ap-southeast-3",
                "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
                "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
                "POWERTOOLS_METRICS_DISABLED": "true",
                "POWERTOOLS_TRACE_DISABLED": "true",
                # Every concurrent invocation shares the handlers' clients here (see lapor.aws).
                "LAPOR_AWS_MAX_POOL_CONNECTIONS": "64",
            }
        )
        import boto3

        from local.resources import ResourceNames, create_resources

        self.session = boto3.session.Session()
        self.resources = create_resources(self.session, ResourceNames(cfg.prefix))
        self.log("tables, queues and the SES sender created")

        self.http = self._make_gateway()
        port = self.http.server_address[1]
        self.url = f"http://{cfg.host}:{port}"
        os.environ.update(self.resources.environment(public_url=self.url))
        # CORS on, as deployed: the pages' own origin, and the same stack under "localhost", which a
        # browser treats as another site (so cross-origin answers can be tried locally).
        os.environ["LAPOR_CORS_ORIGINS"] = cfg.cors_origins or f"{self.url},http://localhost:{port}"
        from local.resources import allow_browser_uploads

        allow_browser_uploads(self.session, self.resources.names, os.environ["LAPOR_CORS_ORIGINS"].split(","))
        _prepare_imports()

        from ops.directory_ops import load_into

        directory, _ = load_into(cfg.directory, table=self.resources.names.directory_table)
        self.log(
            f"directory {cfg.directory.name} loaded: {len(directory.agencies)} agencies, "
            f"{len(directory.officials)} officials, {len(directory.categories)} categories"
        )
        self._start_identity(directory)
        self._add_open311_partner()
        if cfg.state_file and cfg.state_file.exists():
            from local.state import restore

            count = restore(self.session, self.resources, cfg.state_file)
            self.log(f"restored {count} items from {cfg.state_file}")

        self._start_event_sources()
        thread = threading.Thread(target=self.http.serve_forever, name="gateway", daemon=True)
        thread.start()
        self.log(f"API and web pages on {self.url}")
        return self

    def stop(self) -> None:
        """Stop in order: the gateway (no new requests), the schedule and pollers (each finishes its
        invocation), then the state file when LAPOR_LOCAL_STATE is set, and moto last."""
        if self.http is not None:
            self.http.shutdown()
            self.http.server_close()
        for thread in self.threads:
            thread.stopping.set()
        for thread in self.threads:
            thread.join(timeout=POLLER_STOP_SECONDS)
        if self.config.state_file and self.moto is not None:
            from local.state import save

            count = save(self.session, self.resources, self.config.state_file)
            self.log(f"saved {count} items to {self.config.state_file}")
        if self.moto is not None:
            self.moto.terminate()
            try:
                self.moto.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.moto.kill()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- wiring -------------------------------------------------------------------------------

    def _add_open311_partner(self) -> None:
        # Deployed stacks get their partners' keys from `python -m ops open311-keys create`.
        from datetime import UTC, datetime

        from lapor.adapters.partners import PartnerKeys

        keys = PartnerKeys(self.resources.names.directory_table)
        keys.add(LOCAL_OPEN311_PARTNER, LOCAL_OPEN311_KEY, now=datetime.now(UTC))
        self.log(f"Open311 on {self.url}/open311/v2/discovery.json (api_key {LOCAL_OPEN311_KEY})")

    def _start_identity(self, directory: Any) -> None:
        from lapor.adapters.identity import TokenVerifier
        from local.auth import create_user_pool, seed_passwords
        from ops.identity_ops import sync_officials

        cognito = self.session.client("cognito-idp")
        self.user_pool = create_user_pool(
            cognito,
            name=f"{self.config.prefix}-officials",
            region="ap-southeast-3",
            endpoint=self.aws_endpoint,
            mfa=self.config.mfa,
        )
        summary = sync_officials(directory, pool_id=self.user_pool.pool_id, client=cognito, invite=False)
        seed_passwords(cognito, self.user_pool, [o.id for o in directory.officials], self.config.password)
        self.verifier = TokenVerifier(self.user_pool)
        os.environ.update(
            {
                "LAPOR_USER_POOL_ID": self.user_pool.pool_id,
                "LAPOR_USER_POOL_CLIENT_ID": self.user_pool.client_id,
                "LAPOR_COGNITO_ENDPOINT": self.aws_endpoint,
                "LAPOR_MFA_REQUIRED": "true" if self.config.mfa else "false",
            }
        )
        self.log(
            f"officials' user pool has {len(summary.created)} officials: sign in on officials.html with an "
            "official id and $LAPOR_LOCAL_PASSWORD"
            + (" (admins and supervisors enrol TOTP: LAPOR_MFA=required)" if self.config.mfa else "")
        )

    def token(self, body: dict[str, Any] | None) -> tuple[int, Any]:
        """``POST /_local/token {official_id}`` → an ID token from the local user pool."""
        from local.auth import issue_id_token

        official_id = (body or {}).get("official_id")
        if not isinstance(official_id, str) or not official_id:
            return 422, {
                "message": "official_id is required",
                "errors": [{"field": "official_id", "message": "is required"}],
            }
        # One sign-in at a time: a sign-in may have to put back the seeded password first.
        with self._token_lock:
            token = issue_id_token(
                self.session.client("cognito-idp"), self.user_pool, official_id, self.config.password
            )
        if token is None:
            return 404, {
                "message": f"no active official {official_id!r} in the local user pool",
                "errors": [{"field": "official_id", "message": "unknown or disabled"}],
            }
        return 200, {"id_token": token}

    def _make_gateway(self) -> Any:
        from local.gateway import make_server

        local_routes = {
            ("GET", "/_local/outbox"): lambda query, body: (200, self.outbox()),
            ("POST", "/_local/sla-check"): lambda query, body: self.sla_check(body),
            ("POST", "/_local/token"): lambda query, body: self.token(body),
            ("GET", "/_local/pipeline"): lambda query, body: (200, self.pipeline_status()),
            ("GET", "/_local/undelivered"): lambda query, body: self.undelivered(query),
            **{
                ("POST", f"/_local/jobs/{name}"): (lambda query, body, name=name: self.run_job(name, body))
                for name in JOBS
            },
        }
        return make_server(
            self.config.host,
            self.config.port,
            invoke_api=self.invoke_api,
            authorize=self.authorize,
            protected=lambda method, resource: (method, resource) in PROTECTED,
            local_routes=local_routes,
            web_root=WEB_ROOT,
        )

    def _start_event_sources(self) -> None:
        import attachments_app
        import notify_app
        import route_app
        import sla_check_app
        import tally_app

        from local.pollers import QueuePoller, S3EventPoller, Schedule, StreamPoller, matches_report_filter

        resources = self.resources
        self.stream_poller = StreamPoller(
            session=self.session,
            stream_arn=resources.reports_stream_arn,
            handler=route_app.lambda_handler,
            function_name="lapor-route",
            on_failure_url=resources.route_failures_url,
        )
        # The tally reads the same stream with its own filter, as a second event source mapping does.
        self.tally_poller = StreamPoller(
            session=self.session,
            stream_arn=resources.reports_stream_arn,
            handler=tally_app.lambda_handler,
            function_name="lapor-tally",
            on_failure_url=resources.tally_failures_url,
            record_filter=matches_report_filter,
            batch_size=100,  # as deployed (infra: TALLY_BATCH_SIZE, TALLY_BATCHING_WINDOW)
            batching_window=TALLY_BATCHING_WINDOW_SECONDS,
        )
        # Several notify batches at once, as Lambda's SQS integration runs (it starts with five).
        self.queue_pollers = [
            QueuePoller(
                session=self.session,
                queue_url=resources.notify_queue_url,
                queue_arn=resources.notify_queue_arn,
                handler=notify_app.lambda_handler,
                function_name="lapor-notify",
            )
            for _ in range(NOTIFY_CONCURRENCY)
        ]
        # The uploads bucket's ObjectCreated events run the attachments function, as S3 would.
        self.upload_poller = S3EventPoller(
            session=self.session,
            queue_url=resources.upload_events_url,
            queue_arn="",
            handler=attachments_app.lambda_handler,
            function_name="lapor-attachments",
        )
        self.threads = [self.stream_poller, self.tally_poller, *self.queue_pollers, self.upload_poller]
        if self.config.sla_interval > 0:
            self.threads.append(
                Schedule(
                    handler=sla_check_app.lambda_handler,
                    function_name="lapor-sla-check",
                    interval=self.config.sla_interval,
                )
            )
        for thread in self.threads:
            thread.start()
        self.log("stream pollers (route, tally), queue poller (notify) and SLA schedule running")

    def invoke_api(self, event: dict[str, Any]) -> dict[str, Any]:
        """One API Gateway → intake invocation (one warm container: requests are handled one at a time)."""
        import intake_app

        from local.lambda_runtime import invoke

        with self._api_lock:
            return invoke(intake_app.lambda_handler, event, function_name="lapor-intake")

    def authorize(self, header: str | None) -> dict[str, Any] | None:
        """Claims of a valid bearer token, or None (the Cognito authorizer's 401)."""
        return self.verifier.verify(header)

    # ---- local-only views ---------------------------------------------------------------------

    def sla_check(self, body: dict[str, Any] | None) -> tuple[int, Any]:
        """Run the SLA handler once as of ``body["now"]`` (default: the clock); its summary."""
        import sla_check_app

        from local.lambda_runtime import invoke

        event = {"now": body["now"]} if body and body.get("now") else {}
        try:
            return 200, invoke(
                sla_check_app.lambda_handler, event, function_name="lapor-sla-check", timeout_seconds=300
            )
        except ValueError as error:
            return 400, {"message": str(error), "errors": [{"field": "now", "message": str(error)}]}

    def run_job(self, name: str, body: dict[str, Any] | None) -> tuple[int, Any]:
        """``POST /_local/jobs/{name} {period}``: run a monthly job once; ``{bucket, keys}`` it wrote."""
        import importlib

        from lapor.domain.errors import InvalidInput
        from local.lambda_runtime import invoke

        entry = importlib.import_module(JOBS[name])
        event = {"period": body["period"]} if body and body.get("period") is not None else {}
        try:
            return 200, invoke(
                entry.lambda_handler, event, function_name=f"lapor-{name}", timeout_seconds=900
            )
        except InvalidInput as error:
            # The local stack answers in Indonesian, the API's default language.
            message = error.message("id")
            return 422, {"message": message, "errors": [{"field": error.field, "message": message}]}

    def pipeline_status(self) -> dict[str, Any]:
        """Whether anything is still moving: queue depths (visible, in flight, delayed) and the stream.

        ``idle`` means both stream consumers (the router and the tally) have read everything written
        and no queue holds a message: a message that should go out and has not while the pipeline
        stays idle was lost, and the statistics count every report written before.
        """
        sqs = self.session.client("sqs")
        resources = self.resources
        queues = {}
        for name, url in (
            ("notify", resources.notify_queue_url),
            ("notify-dlq", resources.notify_dlq_url),
            ("route-failures", resources.route_failures_url),
            ("sla-failures", resources.sla_failures_url),
        ):
            attributes = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                    "ApproximateNumberOfMessagesDelayed",
                ],
            )["Attributes"]
            queues[name] = {
                "visible": int(attributes.get("ApproximateNumberOfMessages", 0)),
                "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
                "delayed": int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)),
            }
        caught_up = self.stream_poller.caught_up
        tallied = self.tally_poller.caught_up
        moving = queues["notify"]["visible"] + queues["notify"]["in_flight"] + queues["notify"]["delayed"]
        return {
            "idle": caught_up and tallied and moving == 0,
            "stream": {"caught_up": caught_up, "failed_records": self.stream_poller.failed_records},
            "tally": {"caught_up": tallied, "failed_records": self.tally_poller.failed_records},
            "queues": queues,
        }

    def undelivered(self, query: str) -> tuple[int, Any]:
        """``GET /_local/undelivered?reports=A,B``: each report's queued messages not yet confirmed sent
        or failed, by notification id, as the re-drive sees them (without its pause)."""
        from urllib.parse import parse_qs

        from lapor.app.redrive import unconfirmed_messages
        from lapor.services import Services
        from lapor.settings import Settings

        ids = [i for part in parse_qs(query).get("reports", []) for i in part.split(",") if i]
        svc = Services(Settings.from_env())
        directory = svc.directory()
        answer = []
        for report_id in ids:
            pending = svc.reports.pending_messages(report_id)
            unconfirmed = (
                unconfirmed_messages(
                    pending,
                    svc.reports.get(report_id),
                    svc.reports.delivery_markers(report_id),
                    directory=directory,
                    sms_enabled=svc.settings.sms_enabled,
                    now=svc.clock(),
                )
                if pending
                else []
            )
            answer.append(
                {
                    "report_id": report_id,
                    "notifications": [
                        {"id": u.notification.id, "in_flight": u.in_flight} for u in unconfirmed
                    ],
                }
            )
        return 200, answer

    def outbox(self) -> list[dict[str, Any]]:
        """Every email and SMS moto accepted, oldest first, with the time it accepted each."""
        from local.moto_process import OUTBOX_PATH

        with urllib.request.urlopen(f"{self.aws_endpoint}{OUTBOX_PATH}", timeout=30) as response:  # noqa: S310 - local moto
            data = json.load(response)
        return sent_messages(data, data["times"])


def sent_messages(data: dict[str, Any], sent_times: dict[str, str]) -> list[dict[str, Any]]:
    """The outbox from moto's data dump: SES messages and SNS SMS, oldest first."""
    sent: list[dict[str, Any]] = []
    for message in data.get("ses", {}).get("Message", []):
        destinations = message.get("destinations") or {}
        to = [
            *destinations.get("ToAddresses", []),
            *destinations.get("CcAddresses", []),
            *destinations.get("BccAddresses", []),
        ]
        sent.append(
            {
                "channel": "email",
                "to": to,
                "subject": message.get("subject"),
                "body": message.get("body"),
                "attachments": message.get("attachments", []),
                "sent_at": sent_times.get(message.get("id", "")),
            }
        )
    for sms in data.get("sns", {}).get("SMS", []):
        sent.append(
            {
                "channel": "sms",
                "to": [sms.get("phone_number")],
                "body": sms.get("message"),
                "attachments": [],
                "sent_at": sent_times.get(sms.get("message_id", "")),
            }
        )
    # Stable sort; a message without a recorded time (sent before the recording began) goes last.
    return sorted(sent, key=lambda m: m["sent_at"] or "9999")
