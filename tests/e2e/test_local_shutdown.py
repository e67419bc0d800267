"""``make local`` stops in order on Ctrl-C: gateway, pollers and schedule, then moto."""

from __future__ import annotations

import os
import re
import signal
import socket
import time

from local.child import start_local_stack
from tests.e2e.conftest import TEST_DIRECTORY, Http


def test_ctrl_c_stops_pollers_before_moto_without_errors():
    # Given a running stack in the terminal's foreground process group, with a report in flight
    stack = start_local_stack(TEST_DIRECTORY, {"LAPOR_SLA_INTERVAL": "1"}, new_session=True)
    http = Http(stack.base)
    status, _ = http.call(
        "POST",
        "/reports",
        {"title": "Lampu jalan padam", "description": "Lampu jalan di gang kami padam sejak seminggu."},
    )
    assert status == 201
    [moto_url] = re.findall(r"moto \(AWS services\) on (http://\S+)", "".join(stack.output))
    moto_port = int(moto_url.rsplit(":", 1)[1])
    time.sleep(1.5)  # the pollers and the one-second schedule are busy

    # When Ctrl-C reaches the whole foreground group, as a terminal sends it
    os.killpg(stack.process.pid, signal.SIGINT)
    code = stack.process.wait(timeout=90)
    time.sleep(0.2)  # the output reader thread drains the pipe
    output = "".join(stack.output)

    # Then it exits cleanly, after saying so, without a single failed poll or run
    assert code == 0, output
    assert "[lapor] stopping" in output
    assert "poll failed" not in output and "run failed" not in output, output
    assert "EndpointConnectionError" not in output, output
    # ... and moto is gone too
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", moto_port)) != 0
