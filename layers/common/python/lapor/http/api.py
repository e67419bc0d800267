"""The HTTP API on powertools' REST resolver: routes map requests to one logic function each."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from pydantic import BaseModel

from lapor.adapters.directory_cache import DirectoryNotLoaded
from lapor.app import intake, stats, workflow
from lapor.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from lapor.domain.lifecycle import Status, TransitionNotAllowed
from lapor.domain.models import (
    ActionRequest,
    ActionResult,
    CategoryView,
    ErrorBody,
    FeedbackRequest,
    FieldError,
    InboxPageView,
    PublicReport,
    StatsView,
    SubmitReportRequest,
    SubmitReportResponse,
)
from lapor.observability import logger
from lapor.services import Services

JSON = "application/json"
_BODY_METHODS = {"POST", "PUT", "PATCH"}
IDEMPOTENCY_KEY = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        description="A retry with the same key has the effect of the first request only, and gets its answer.",
    ),
]
TRACKING_CODE = Annotated[str, Path(description="Tracking code, e.g. 7KQ2-MX9R-TH4PW", max_length=64)]


def _errors(status: int, message: str, errors: list[FieldError] | None = None) -> Response:
    body = ErrorBody(message=message, errors=errors or [])
    return Response(status_code=status, content_type=JSON, body=body.model_dump_json())


def _json(status: int, model: BaseModel | list[BaseModel]) -> Response:
    # The resolver validates the body against the route's declared model, then serializes it.
    if isinstance(model, list):
        body: Any = [item.model_dump(mode="json") for item in model]
    else:
        body = model.model_dump(mode="json")
    return Response(status_code=status, content_type=JSON, body=body)


def _error_responses(*codes: int) -> dict[int | str, Any]:
    descriptions = {
        400: "Malformed request",
        401: "Missing or invalid token",
        403: "Not allowed",
        404: "Not found",
        409: "Conflict with the report's state",
        413: "Body too large",
        415: "Content-Type must be application/json",
        422: "Invalid input; `errors` names each field",
        503: "Directory not loaded yet",
    }
    return {
        code: {"description": descriptions[code], "content": {JSON: {"model": ErrorBody}}} for code in codes
    }


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(part) for part in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    elif parts and parts[0] in {"header", "query", "path"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def precheck(event: dict[str, Any], max_body_bytes: int) -> Response | None:
    """Refuse what the resolver would mishandle: wrong content type, oversize or malformed JSON bodies.

    Runs before the resolver because its validation would read a non-JSON body as "all fields missing".
    """
    method = (event.get("httpMethod") or "").upper()
    if method not in _BODY_METHODS:
        return None
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items() if isinstance(v, str)}
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        return _errors(
            415,
            "send the body as JSON",
            [FieldError(field="Content-Type", message="must be application/json")],
        )
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    if len(raw) > max_body_bytes:
        return _errors(
            413,
            "body too large",
            [FieldError(field="body", message=f"must be at most {max_body_bytes} bytes")],
        )
    try:
        # Decode as UTF-8 here, as handle() does: json.loads(bytes) would also accept UTF-16/32 and
        # UTF-8-encoded surrogates that handle() then fails to decode. RecursionError: deep nesting.
        parsed = json.loads(raw.decode("utf-8") or "null")
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _errors(400, "body is not valid JSON", [FieldError(field="body", message="is not valid JSON")])
    if not isinstance(parsed, dict):
        return _errors(
            422, "body must be a JSON object", [FieldError(field="body", message="must be a JSON object")]
        )
    return None


def create_app(
    services: Callable[[], Services], *, cors_origins: Sequence[str] = ()
) -> APIGatewayRestResolver:
    """The public API (and, once signed in, officials' API) bound to lazily built services.

    ``cors_origins`` are the web origins allowed to call the API from a browser (none: same origin only).
    """
    cors = None
    if cors_origins:
        cors = CORSConfig(
            allow_origin=cors_origins[0],
            extra_origins=list(cors_origins[1:]),
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
            max_age=600,
        )
    app = APIGatewayRestResolver(enable_validation=True, cors=cors)

    @app.post(
        "/reports",
        summary="File a complaint, aspiration or information request",
        responses={
            201: {
                "description": "Stored; keep the receipt",
                "content": {JSON: {"model": SubmitReportResponse}},
            },
            **_error_responses(400, 413, 415, 422, 409),
        },
    )
    def post_report(
        request: Annotated[SubmitReportRequest, Body()],
        idempotency_key: IDEMPOTENCY_KEY = None,
    ) -> Response[SubmitReportResponse]:
        svc = services()
        attempt = None
        if idempotency_key:
            # The key's record is written with the report itself (see intake.submit_report).
            attempt = intake.SubmitAttempt(
                table=_idempotency_table(svc),
                key=idempotency_key,
                payload=app.current_event.json_body,
                ttl_seconds=svc.settings.idempotency_ttl_seconds,
            )
        created = intake.submit_report(request, reports=svc.reports, now=svc.clock(), attempt=attempt)
        logger.info(
            "report received", report_id=created.id, kind=request.kind.value, idempotent=bool(idempotency_key)
        )
        return _json(201, created)

    @app.get(
        "/reports/<report_id>",
        summary="Track a report by its code",
        responses={
            200: {"description": "Public view", "content": {JSON: {"model": PublicReport}}},
            **_error_responses(404, 422),
        },
    )
    def get_report(report_id: TRACKING_CODE) -> Response[PublicReport]:
        svc = services()
        return _json(200, intake.public_report(report_id, reports=svc.reports, directory=svc.directory()))

    @app.get(
        "/categories",
        summary="Categories a reporter may choose",
        responses={200: {"description": "Categories", "content": {JSON: {"model": list[CategoryView]}}}},
    )
    def get_categories() -> Response[list[CategoryView]]:
        return _json(200, intake.list_categories(services().directory()))

    @app.get(
        "/stats",
        summary="Follow-up figures per agency, per kind of agency and in total, for a month or a year",
        responses={
            200: {"description": "Statistics", "content": {JSON: {"model": StatsView}}},
            **_error_responses(422),
        },
    )
    def get_stats(
        period: Annotated[
            str | None,
            Query(description="WIB month YYYY-MM or year YYYY; default the current month", max_length=7),
        ] = None,
    ) -> Response[StatsView]:
        svc = services()
        chosen = stats.parse_period(period, svc.clock())
        return _json(200, stats.read_stats(chosen, store=svc.aggregates, directory=svc.directory()))

    @app.post(
        "/reports/<report_id>/feedback",
        summary="The reporter accepts or reopens the answer",
        responses={
            200: {"description": "Feedback applied", "content": {JSON: {"model": ActionResult}}},
            **_error_responses(400, 403, 404, 409, 413, 415, 422),
        },
    )
    def post_feedback(
        report_id: TRACKING_CODE, request: Annotated[FeedbackRequest, Body()]
    ) -> Response[ActionResult]:
        svc = services()
        result = workflow.feedback(
            report_id, request, reports=svc.reports, directory=svc.directory(), now=svc.clock()
        )
        logger.info(
            "reporter feedback", report_id=result.id, action=request.action, status=result.status.value
        )
        return _json(200, result)

    @app.get(
        "/inbox",
        summary="Reports assigned to the caller's agency (officials)",
        responses={
            200: {"description": "One page, newest first", "content": {JSON: {"model": InboxPageView}}},
            **_error_responses(401, 422),
        },
    )
    def get_inbox(
        status: Annotated[Status | None, Query(description="Only reports in this status")] = None,
        cursor: Annotated[
            str | None, Query(description="next_cursor of the previous page", max_length=2048)
        ] = None,
    ) -> Response[InboxPageView]:
        svc = services()
        caller = workflow.caller_from_claims(_claims(app), svc.directory())
        return _json(200, workflow.inbox(caller, reports=svc.reports, status=status, cursor=cursor))

    @app.post(
        "/reports/<report_id>/actions",
        summary="An official verifies, forwards, rejects, responds to or completes a report",
        responses={
            200: {"description": "Action applied", "content": {JSON: {"model": ActionResult}}},
            **_error_responses(400, 401, 403, 404, 409, 413, 415, 422),
        },
    )
    def post_action(
        report_id: TRACKING_CODE,
        request: Annotated[ActionRequest, Body()],
        idempotency_key: IDEMPOTENCY_KEY = None,
    ) -> Response[ActionResult]:
        svc = services()
        directory = svc.directory()
        caller = workflow.caller_from_claims(_claims(app), directory)

        def run() -> ActionResult:
            return workflow.act(
                report_id, request, caller, reports=svc.reports, directory=directory, now=svc.clock()
            )

        if idempotency_key:
            # The key space is per official: two officials' keys never collide.
            payload = {"report": report_id, "by": caller.official_id, "request": app.current_event.json_body}
            result = _once(
                svc,
                "report_action",
                f"{caller.official_id}:{idempotency_key}",
                payload,
                app.lambda_context,
                run,
            )
        else:
            result = run()
        logger.info(
            "official action",
            report_id=result.id,
            action=request.action,
            actor=caller.official_id,
            status=result.status.value,
        )
        return _json(200, result)

    @app.get("/openapi.json", summary="This API's OpenAPI document", include_in_schema=False)
    def get_openapi() -> Response[Any]:
        return Response(status_code=200, content_type=JSON, body=openapi_document(app))

    @app.not_found
    def not_found(_: Exception) -> Response:
        return _errors(404, "no such route")

    @app.exception_handler(RequestValidationError)
    def invalid_request(error: RequestValidationError) -> Response:
        fields = [
            FieldError(
                field=_field_name(tuple(e.get("loc", ()))), message=e.get("msg") or e.get("type", "invalid")
            )
            for e in error.errors()
        ]
        return _errors(422, "invalid input", fields)

    @app.exception_handler(InvalidInput)
    def invalid_input(error: InvalidInput) -> Response:
        return _errors(422, "invalid input", [FieldError(field=error.field, message=str(error))])

    @app.exception_handler(NotFound)
    def missing(error: NotFound) -> Response:
        return _errors(404, str(error))

    @app.exception_handler(Unauthorized)
    def unauthorized(error: Unauthorized) -> Response:
        return _errors(401, str(error))

    @app.exception_handler(Forbidden)
    def forbidden(error: Forbidden) -> Response:
        return _errors(403, str(error))

    @app.exception_handler([Conflict, TransitionNotAllowed])
    def conflict(error: Exception) -> Response:
        return _errors(409, str(error))

    @app.exception_handler(DirectoryNotLoaded)
    def no_directory(error: DirectoryNotLoaded) -> Response:
        logger.error("directory not loaded")
        return _errors(503, "the service is not configured yet; try again later")

    @app.exception_handler(ValueError)
    def malformed(error: ValueError) -> Response:
        # powertools raises a bare ValueError for e.g. multipart bodies without a boundary.
        return _errors(400, "malformed request", [FieldError(field="body", message="could not be parsed")])

    return app


RESULT_MODELS: dict[str, type[BaseModel]] = {
    "report_action": ActionResult,
}


def _claims(app: APIGatewayRestResolver) -> dict[str, Any] | None:
    # Only the authorizer's verified claims identify an official (API Gateway's Cognito authorizer,
    # or the local gateway's equivalent); nothing the client sends in headers or body does.
    authorizer = app.current_event.raw_event.get("requestContext", {}).get("authorizer") or {}
    claims = authorizer.get("claims")
    return claims if isinstance(claims, dict) else None


@lru_cache(maxsize=4)
def openapi_document(app: APIGatewayRestResolver) -> str:
    """The OpenAPI 3.1 document, generated once per warm function."""
    return app.get_openapi_json_schema(
        title="Lapor API",
        version="1.0.0",
        description="File and track public complaints; officials act on the reports assigned to them.",
    )


def _once(
    svc: Services,
    operation: str,
    key: str,
    payload: dict[str, Any],
    context: Any,
    run: Callable[[], BaseModel],
) -> Any:
    """Run ``run`` once per Idempotency-Key: a retry gets the first answer; the key with another payload is refused."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    idempotent, config = _idempotent(svc, operation)
    config.register_lambda_context(context)
    try:
        return idempotent(attempt={"key": key, "payload": payload}, run=run)
    except IdempotencyValidationError:
        raise InvalidInput(
            "Idempotency-Key", "was already used with a different request; use a new key"
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict(
            "a request with this Idempotency-Key is still being processed; retry shortly"
        ) from None


def _idempotency_table(svc: Services) -> str:
    """The table Idempotency-Key records go to; configuring it is required to honour the header."""
    if not svc.settings.idempotency_table:
        raise RuntimeError("LAPOR_IDEMPOTENCY_TABLE is required for Idempotency-Key support")
    return svc.settings.idempotency_table


@lru_cache(maxsize=16)
def _idempotent(svc: Services, operation: str) -> tuple[Callable[..., Any], Any]:
    """An idempotent runner for one operation (its own key space), and its config (for the Lambda context)."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )
    from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer

    from lapor.adapters.aws import client as aws_client

    persistence = DynamoDBPersistenceLayer(
        table_name=_idempotency_table(svc), boto3_client=aws_client("dynamodb")
    )
    # The key identifies the attempt; the payload is checked so a reused key with other content is refused.
    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="payload",
        expires_after_seconds=svc.settings.idempotency_ttl_seconds,
        raise_on_no_idempotency_key=True,
    )

    @idempotent_function(
        data_keyword_argument="attempt",
        persistence_store=persistence,
        config=config,
        output_serializer=PydanticSerializer(RESULT_MODELS[operation]),
        key_prefix=operation,
    )
    def idempotent(attempt: dict[str, Any], run: Callable[[], BaseModel]) -> BaseModel:
        return run()

    return idempotent, config


def handle(
    app: APIGatewayRestResolver, event: dict[str, Any], context: Any, max_body_bytes: int
) -> dict[str, Any]:
    """Answer one API Gateway proxy event."""
    refused = precheck(event, max_body_bytes)
    if refused is not None:
        return {
            "statusCode": refused.status_code,
            "headers": {"Content-Type": JSON},
            "body": refused.body,
            "isBase64Encoded": False,
        }
    if event.get("isBase64Encoded") and event.get("body"):
        # Hand the resolver plain text so its validation sees the same JSON precheck accepted.
        event = event | {"body": base64.b64decode(event["body"]).decode(), "isBase64Encoded": False}
    return app.resolve(event, context)
