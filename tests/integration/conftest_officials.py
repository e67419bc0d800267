"""Officials over the real intake handler: signed-in callers, reports in chosen states, request counts.

Officials' routes get the authorizer's claims (as API Gateway's Cognito authorizer passes them);
``GET /reports/{id}`` gets a real ID token from moto's Cognito, which the function verifies itself
against the pool's keys (moto's published JWKS, read from its package instead of over HTTP).
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from lapor.adapters.identity import TokenVerifier, UserPool
from local.auth import create_user_pool, issue_id_token, seed_passwords
from ops.directory_ops import load_directory_file
from ops.identity_ops import sync_officials
from tests.helpers import api_event, context, response_json
from tests.integration.conftest import TEST_DIRECTORY
from tests.integration.conftest_route_notify import HEALTH, Pipeline, shared_session

PASSWORD = "Test-Password-2026!"
# Kesehatan without a region: KEMENKES, standard track.
KEMENKES_REPORT = {k: v for k, v in HEALTH.items() if k != "region"}
COVID_KEMENKES = KEMENKES_REPORT | {
    "title": "Vaksin covid di puskesmas habis",
    "description": "Puskesmas Menteng menolak warga yang datang untuk vaksin covid booster.",
}


def _moto_jwks(url: str) -> dict[str, Any]:
    import moto.cognitoidp

    path = Path(moto.cognitoidp.__file__).parent / "resources" / "jwks-public.json.gz"
    return dict(json.loads(gzip.decompress(path.read_bytes())))


@dataclass
class RequestCounter:
    """Counts the DynamoDB requests the functions' shared client sends."""

    counts: Counter[str] = field(default_factory=Counter)

    def __call__(self, model: Any, **_: Any) -> None:
        self.counts[model.name] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Officials:
    """Calls to the intake handler as officials, and the report states the tests need."""

    pipeline: Pipeline
    pool: UserPool
    cognito: Any
    counter: RequestCounter

    def call(
        self, method: str, path: str, body: Any = None, *, who: str | None = None, query: str = ""
    ) -> tuple[int, Any]:
        """An officials' route with ``who``'s verified claims (None: no authorizer claims)."""
        import intake_app

        claims = {"custom:official_id": who, "cognito:username": who} if who else None
        event = api_event(method, path, body, query=query, claims=claims)
        response = intake_app.lambda_handler(event, context("lapor-intake"))
        return response["statusCode"], response_json(response)

    def view(self, report_id: str, who: str | None) -> tuple[int, Any]:
        """GET /reports/{id} with ``who``'s real ID token (None: anonymous)."""
        import intake_app

        headers = {"Authorization": f"Bearer {self.token(who)}"} if who else {}
        event = api_event("GET", f"/reports/{report_id}", headers=headers)
        response = intake_app.lambda_handler(event, context("lapor-intake"))
        return response["statusCode"], response_json(response)

    def token(self, who: str) -> str:
        token = issue_id_token(self.cognito, self.pool, who, PASSWORD)
        assert token
        return token

    def act(self, report_id: str, who: str, action: str, note: str = "", **extra: Any) -> tuple[int, Any]:
        body = {"action": action, "note": note, **extra}
        return self.call("POST", f"/reports/{report_id}/actions", body, who=who)

    def inbox(self, who: str, query: str = "") -> tuple[int, Any]:
        return self.call("GET", "/inbox", who=who, query=query)

    def counted(self, fn: Any) -> tuple[Any, int]:
        """``fn()``'s result and the DynamoDB requests it sent."""
        self.counter.counts.clear()
        result = fn()
        return result, self.counter.total

    # -- reports in a given state, routed to their agency (clocks are the pipeline's fixed ones)

    def dispatched(self, body: dict[str, Any] | None = None) -> str:
        report_id = self.pipeline.submit(body or KEMENKES_REPORT)
        self.pipeline.route()
        return report_id

    def verified(self, body: dict[str, Any] | None = None) -> str:
        report_id = self.dispatched(body)
        assignee = self.pipeline.report(report_id).assignee
        assert assignee
        status, answer = self.act(report_id, assignee, "verify")
        assert status == 200, answer
        self.pipeline.route()
        return report_id

    def sla(self, now: datetime) -> dict[str, Any]:
        import sla_check_app

        summary = sla_check_app.lambda_handler({"now": now.isoformat()}, context("lapor-sla-check", 60))
        self.pipeline.route()
        return dict(summary)


@pytest.fixture
def officials(pipeline: Pipeline) -> Iterator[Officials]:
    """A Cognito pool holding the test directory's officials, and the intake function wired to it."""
    import intake_app

    from lapor.adapters.aws import client

    cognito = shared_session().client("cognito-idp")
    pool = create_user_pool(
        cognito,
        name="lapor-test-officials",
        region="ap-southeast-3",
        endpoint="https://cognito-idp.ap-southeast-3.amazonaws.com",
        mfa=False,
    )
    directory = load_directory_file(TEST_DIRECTORY)
    sync_officials(directory, pool_id=pool.pool_id, client=cognito, invite=False)
    seed_passwords(cognito, pool, [o.id for o in directory.officials], PASSWORD)
    services = intake_app.services()
    # As the deployed function: the pool's id and client, and its keys (moto's, read from its package).
    services.__dict__["user_pool"] = pool
    services.__dict__["token_verifier"] = TokenVerifier(pool, fetch=_moto_jwks)
    counter = RequestCounter()
    ddb = client("dynamodb")
    ddb.meta.events.register("before-call.dynamodb", counter)
    try:
        yield Officials(pipeline=pipeline, pool=pool, cognito=cognito, counter=counter)
    finally:
        ddb.meta.events.unregister("before-call.dynamodb", counter)
