"""moto's server in a process of its own, so moto and the local stack's handlers each get a core.

``python -m local.moto_process HOST PORT`` prints ``moto-ready <port>`` once it listens (PORT 0 picks
a free one) and serves until SIGTERM. Besides every AWS API moto offers, it answers
``GET /_lapor/outbox``: what SES and SNS accepted, with the time each was accepted.
"""

from __future__ import annotations

import contextlib
import json
import logging
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


def main(argv: list[str]) -> int:
    """Serve moto (with the local stack's patches) until SIGTERM."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from local.moto_patches import item_level_transaction_backups, recorded_send_times

    host, port = argv[0], int(argv[1])
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request lines drown the output
    with contextlib.ExitStack() as patches:
        # Without it moto copies whole tables per transaction item: quadratic time and memory.
        patches.enter_context(item_level_transaction_backups())
        send_times = patches.enter_context(recorded_send_times())
        app = with_outbox(DomainDispatcherApplication(create_backend_app), send_times)
        server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
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
