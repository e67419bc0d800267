"""moto's server in a process of its own, so moto and the local stack's handlers each get a core.

``python -m local.moto_process HOST PORT`` prints ``moto-ready <port>`` once it listens (PORT 0 picks
a free one) and serves until SIGTERM. Besides every AWS API moto offers, it answers
``GET /_lapor/outbox``: what SES and SNS accepted, with the time each was accepted.
"""

from __future__ import annotations

import contextlib
import json
import re
import signal
import sys
from collections.abc import Callable, Iterable
from typing import Any

REGION = "ap-southeast-3"
OUTBOX_PATH = "/_lapor/outbox"


def outbox_document(send_times: dict[str, str]) -> dict[str, Any]:
    """What SES and SNS accepted in the local region, as plain JSON, with their accept times."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    ses = ses_backends[DEFAULT_ACCOUNT_ID][REGION]
    sns = sns_backends[DEFAULT_ACCOUNT_ID][REGION]
    return {
        "ses": {
            "Message": [
                {"id": m.id, "subject": m.subject, "body": m.body, "destinations": m.destinations}
                if not hasattr(m, "raw_data")
                else raw_email(m.id, m.raw_data, m.destinations)
                for m in list(ses.sent_messages)
            ]
        },
        "sns": {
            "SMS": [
                {"message_id": key, "phone_number": phone, "message": text}
                for key, (phone, text) in list(sns.sms_messages.items())
            ]
        },
        "times": dict(send_times),
    }


def raw_email(message_id: str, raw: str, destinations: list[str]) -> dict[str, Any]:
    """A raw (MIME) email as the outbox shows it: subject, text body and its attachments' names and sizes."""
    import email
    from email.policy import default

    parsed = email.message_from_string(raw, policy=default)
    body = parsed.get_body(preferencelist=("plain", "html"))
    attachments = [
        {
            "filename": part.get_filename(),
            "content_type": part.get_content_type(),
            "size": len(part.get_payload(decode=True) or b""),
        }
        for part in parsed.iter_attachments()
    ]
    return {
        "id": message_id,
        "subject": str(parsed["Subject"] or ""),
        "body": body.get_content() if body is not None else "",
        "destinations": {"ToAddresses": list(destinations)},
        "attachments": attachments,
    }


def with_outbox(
    app: Callable[..., Iterable[bytes]], send_times: dict[str, str]
) -> Callable[..., Iterable[bytes]]:
    """moto's WSGI app, plus the outbox route."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == OUTBOX_PATH:
            body = json.dumps(outbox_document(send_times)).encode()
            start_response(
                "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]
        return app(environ, start_response)

    return wsgi


# "Credential=AKID/20261129/ap-southeast-3/dynamodb/aws4_request" → "ap-southeast-3/dynamodb"
_SIGNING_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+/[^/]+)/aws4_request")


def with_cached_dispatch(dispatcher: Any) -> Callable[..., Iterable[bytes]]:
    """moto's dispatcher, remembering which backend app serves each kind of signed request.

    moto resolves the backend anew for every request, under one global lock, by listing its own
    package directory: at a few hundred requests a second that lookup alone is a tenth of moto's
    time. A signed request's backend is fixed by its signing scope (region and service), its
    JSON target prefix (DynamoDB and DynamoDB Streams share a signing name) and its host; anything
    unsigned takes moto's own path.
    """
    apps: dict[tuple[str, str, str], Callable[..., Iterable[bytes]]] = {}

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        scope = _SIGNING_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if scope is None:
            return dispatcher(environ, start_response)
        key = (
            scope.group(1),
            environ.get("HTTP_X_AMZ_TARGET", "").partition(".")[0],
            environ.get("HTTP_HOST", ""),
        )
        app = apps.get(key)
        if app is None:
            app = apps[key] = dispatcher.get_application(environ)
        return app(environ, start_response)

    return wsgi


def _exit_with_parent(server: Any, interval: float = 1.0) -> None:
    """Shut the server down if the stack that started us is gone (killed without stopping us)."""
    import os
    import threading

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(interval)
        server.shutdown()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: list[str]) -> int:
    """Serve moto (with the local stack's patches) until SIGTERM."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from local.keepalive_wsgi import KeepAliveWSGIServer
    from local.moto_patches import (
        cached_action_lookup,
        item_level_transaction_backups,
        one_dynamodb_request_at_a_time,
        partition_scoped_queries,
        plain_json_item_responses,
        recorded_send_times,
        sqs_queue_changes_under_lock,
    )

    host, port = argv[0], int(argv[1])
    # Dozens of request threads share one GIL; at the default 5 ms switch interval a thread that
    # just finished a socket read waits up to that long for each reacquisition, several per request.
    sys.setswitchinterval(0.0005)
    with contextlib.ExitStack() as patches:
        # Without it moto copies whole tables per transaction item: quadratic time and memory.
        patches.enter_context(item_level_transaction_backups())
        patches.enter_context(plain_json_item_responses())
        patches.enter_context(cached_action_lookup())
        patches.enter_context(partition_scoped_queries())
        patches.enter_context(one_dynamodb_request_at_a_time())
        # Without it, overlapping deletes drop a message sent between them (issue 19).
        patches.enter_context(sqs_queue_changes_under_lock())
        send_times = patches.enter_context(recorded_send_times())
        app = with_outbox(with_cached_dispatch(DomainDispatcherApplication(create_backend_app)), send_times)
        server = KeepAliveWSGIServer((host, port), app)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        # Ctrl-C is for the stack, which stops its pollers first and then terminates us.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _exit_with_parent(server)
        print(f"moto-ready {server.server_address[1]}", flush=True)
        try:
            server.serve_forever()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
