"""The HTTP API on powertools' REST resolver: routes map requests to one logic function each."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from functools import lru_cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path
from pydantic import BaseModel

from lapor import intake
from lapor.directory_cache import DirectoryNotLoaded
from lapor.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from lapor.lifecycle import TransitionNotAllowed
from lapor.models import (
    CategoryView,
    ErrorBody,
    FieldError,
    PublicReport,
    SubmitReportRequest,
    SubmitReportResponse,
)
from lapor.observability import logger
from lapor.services import Services

JSON = "application/json"
_BODY_METHODS = {"POST", "PUT", "PATCH"}
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
        parsed = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        return _errors(400, "body is not valid JSON", [FieldError(field="body", message="is not valid JSON")])
    if not isinstance(parsed, dict):
        return _errors(
            422, "body must be a JSON object", [FieldError(field="body", message="must be a JSON object")]
        )
    return None


def create_app(services: Callable[[], Services]) -> APIGatewayRestResolver:
    """The public API (and, once signed in, officials' API) bound to lazily built services."""
    app = APIGatewayRestResolver(enable_validation=True)

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
        idempotency_key: Annotated[
            str | None,
            Header(
                alias="Idempotency-Key",
                min_length=1,
                max_length=128,
                description="A retry with the same key returns the same report.",
            ),
        ] = None,
    ) -> Response[SubmitReportResponse]:
        svc = services()
        if idempotency_key:
            created = _submit_once(svc, idempotency_key, app.current_event.json_body, app.lambda_context)
        else:
            created = intake.submit_report(request, reports=svc.reports, now=svc.clock())
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


@lru_cache(maxsize=4)
def openapi_document(app: APIGatewayRestResolver) -> str:
    """The OpenAPI 3.1 document, generated once per warm function."""
    return app.get_openapi_json_schema(
        title="Lapor API",
        version="1.0.0",
        description="File and track public complaints; officials act on the reports assigned to them.",
    )


def _submit_once(svc: Services, key: str, body: dict[str, Any], context: Any) -> SubmitReportResponse:
    """Submit under an Idempotency-Key: a retry gets the first answer; the same key with another body is refused."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    submit, config = _idempotent_submit(svc)
    config.register_lambda_context(context)
    try:
        return submit(attempt={"key": key, "request": body})
    except IdempotencyValidationError:
        raise InvalidInput(
            "Idempotency-Key", "was already used with a different body; use a new key"
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict(
            "a request with this Idempotency-Key is still being processed; retry shortly"
        ) from None


@lru_cache(maxsize=4)
def _idempotent_submit(svc: Services) -> tuple[Callable[..., SubmitReportResponse], Any]:
    """``submit_report`` made idempotent on the Idempotency-Key, and its config (for the Lambda context)."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )
    from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer

    from lapor.aws import client as aws_client

    if not svc.settings.idempotency_table:
        raise RuntimeError("LAPOR_IDEMPOTENCY_TABLE is required for Idempotency-Key support")
    persistence = DynamoDBPersistenceLayer(
        table_name=svc.settings.idempotency_table, boto3_client=aws_client("dynamodb")
    )
    # The key identifies the attempt; the body is checked so a reused key with other content is refused.
    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="request",
        expires_after_seconds=svc.settings.idempotency_ttl_seconds,
        raise_on_no_idempotency_key=True,
    )

    @idempotent_function(
        data_keyword_argument="attempt",
        persistence_store=persistence,
        config=config,
        output_serializer=PydanticSerializer(SubmitReportResponse),
        key_prefix="submit_report",
    )
    def submit(attempt: dict[str, Any]) -> SubmitReportResponse:
        request = SubmitReportRequest.model_validate(attempt["request"])
        return intake.submit_report(request, reports=svc.reports, now=svc.clock())

    return submit, config


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
