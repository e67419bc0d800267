"""The HTTP API on powertools' REST resolver: routes map requests to one logic function each."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from types import ModuleType
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from pydantic import BaseModel

from lapor.adapters.directory_cache import DirectoryNotLoaded
from lapor.adapters.repository import ItemTooLarge
from lapor.app import attachments, inbox, intake, officials, regions, stats, workflow
from lapor.domain import catalogue
from lapor.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    LaporError,
    MfaRequired,
    NotFound,
    ServiceNotReady,
    Unauthorized,
)
from lapor.domain.inbox import Scope, Sort
from lapor.domain.lifecycle import TransitionNotAllowed
from lapor.domain.models import (
    ActionRequest,
    ActionResult,
    AgencyRef,
    AttachmentView,
    CategoryView,
    ErrorBody,
    FeedbackRequest,
    FieldError,
    PublicReport,
    PublicTimelinePage,
    RegionView,
    StatsView,
    SubmitReportRequest,
    SubmitReportResponse,
    UploadRequest,
    UploadTicket,
)
from lapor.domain.open311_path import handles as is_open311
from lapor.domain.roles import Caller
from lapor.domain.workspace import (
    InboxPageView,
    InboxSummary,
    MeView,
    OfficialOption,
    OfficialReport,
    SignInConfig,
)
from lapor.http.errors import error_body, field_error, language_of, validation_errors
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
AUTHORIZATION = Annotated[
    str | None,
    Header(
        alias="Authorization",
        max_length=8192,
        description="Bearer <Cognito ID token> of an official: the official view when they may read the report.",
    ),
]


def _refusal(
    status: int, message_id: str, language: catalogue.Lang, fields: list[FieldError] | None = None
) -> Response:
    """A 4xx answer worded in ``language`` from the catalogue."""
    return Response(
        status_code=status, content_type=JSON, body=error_body(message_id, language, fields or [])
    )


class LaporResolver(APIGatewayRestResolver):
    """powertools' REST resolver, keeping its CORS settings for the answers built before it runs."""

    def __init__(self, *, cors: CORSConfig | None, services: Callable[[], Services], **kwargs: Any) -> None:
        super().__init__(cors=cors, **kwargs)
        self.cors_config = cors
        self._services = services
        self._open311_lock = threading.Lock()
        self._open311_registered = False

    def open311(self) -> ModuleType:
        """Open311's routes module, its routes registered on ``self`` on the first call.

        Open311's models and use cases are a fifth of a cold start's imports, which a request for
        Lapor's own routes does not need: they load with the first Open311 request (or the OpenAPI
        document, which lists them).
        """
        from lapor.http import open311

        with self._open311_lock:
            if not self._open311_registered:
                open311.register(self, self._services)
                self._open311_registered = True
        return open311

    def language(self) -> catalogue.Lang:
        """The current request's language (``Accept-Language``; Indonesian by default)."""
        return language_of(self.current_event.raw_event.get("headers"))

    def path_id(self, matched: str) -> str:
        """The ``{id}`` path parameter as API Gateway decodes it (``%2D`` is ``-``).

        The resolver matches routes on the event's ``path``, which API Gateway leaves percent-encoded;
        its ``pathParameters`` hold the decoded value.
        """
        decoded = (self.current_event.raw_event.get("pathParameters") or {}).get("id")
        return decoded if isinstance(decoded, str) else matched


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


# Headers the API reads. A client (or a proxy) may repeat one; equal copies count as one.
_SINGLE_VALUE_HEADERS = ("Idempotency-Key",)


def collapse_repeated_headers(event: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The event with each header's equal repeated values counted once, and the name of a header the
    API reads that came with different values (None when there is none).

    API Gateway puts every value of a repeated header in ``multiValueHeaders`` (``headers`` keeps the
    last), and the resolver validates declared headers from there: two copies of one Idempotency-Key
    would otherwise fail as "not a string".
    """
    multi = event.get("multiValueHeaders") or {}
    collapsed: dict[str, list[str]] = {}
    conflicting = None
    for name, values in multi.items():
        values = values if isinstance(values, list) else [values]
        distinct = list(dict.fromkeys(value.strip() if isinstance(value, str) else value for value in values))
        if len(distinct) > 1 and name.lower() in {h.lower() for h in _SINGLE_VALUE_HEADERS}:
            conflicting = next(h for h in _SINGLE_VALUE_HEADERS if h.lower() == name.lower())
        collapsed[name] = distinct if len(distinct) == 1 else list(values)
    if not multi:
        return event, None
    return event | {"multiValueHeaders": collapsed}, conflicting


def precheck(event: dict[str, Any], max_body_bytes: int) -> Response | None:
    """Refuse what the resolver would mishandle: wrong content type, oversize or malformed JSON bodies.

    Runs before the resolver because its validation would read a non-JSON body as "all fields missing".
    Refusals are worded in the request's language.
    """
    if is_open311(event.get("path")):
        # Open311's POST is a form, and its refusals are the specification's: its own pre-check.
        from lapor.http import open311

        return open311.precheck(event, max_body_bytes)
    language = language_of(event.get("headers"))
    method = (event.get("httpMethod") or "").upper()
    if method not in _BODY_METHODS:
        return None
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items() if isinstance(v, str)}
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        field = field_error("Content-Type", "json_required", language)
        return _refusal(415, "json_required", language, [field])
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    if len(raw) > max_body_bytes:
        field = field_error("body", "body_too_large", language, max=max_body_bytes)
        return _refusal(413, "invalid_input", language, [field])
    try:
        # Decode as UTF-8 here, as handle() does: json.loads(bytes) would also accept UTF-16/32 and
        # UTF-8-encoded surrogates that handle() then fails to decode. RecursionError: deep nesting.
        parsed = json.loads(raw.decode("utf-8") or "null")
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _refusal(400, "invalid_input", language, [field_error("body", "json_invalid", language)])
    if not isinstance(parsed, dict):
        return _refusal(422, "invalid_input", language, [field_error("body", "not_object", language)])
    return None


def create_app(services: Callable[[], Services], *, cors_origins: Sequence[str] = ()) -> LaporResolver:
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
    app = LaporResolver(enable_validation=True, cors=cors, services=services)

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
                secret=svc.receipt_secret.get(),
            )
        created = intake.submit_report(
            request,
            reports=svc.reports,
            regions=svc.regions(),
            now=svc.clock(),
            attempt=attempt,
            uploads=svc.uploads,
            quota_table=svc.settings.idempotency_table,
        )
        logger.info(
            "report received", report_id=created.id, kind=request.kind.value, idempotent=bool(idempotency_key)
        )
        return _json(201, created)

    @app.post(
        "/uploads",
        summary="Get a presigned S3 POST for one attachment (JPEG, PNG or PDF, at most 10 MB)",
        responses={
            201: {
                "description": "POST the file to url with fields",
                "content": {JSON: {"model": UploadTicket}},
            },
            **_error_responses(400, 413, 415, 422, 503),
        },
    )
    def post_upload(request: Annotated[UploadRequest, Body()]) -> Response[UploadTicket]:
        svc = services()
        if svc.uploads is None:
            raise ServiceNotReady("uploads bucket not configured")
        ticket = attachments.create_upload(request, store=svc.uploads, now=svc.clock())
        logger.info("upload ticket", upload_id=ticket.upload_id, content_type=request.content_type)
        return _json(201, ticket)

    @app.get(
        "/reports/<report_id>/attachments",
        summary="A report's attachments with short-lived download URLs (officials)",
        responses={
            200: {"description": "Attachments", "content": {JSON: {"model": list[AttachmentView]}}},
            **_error_responses(401, 403, 404, 503),
        },
    )
    def get_attachments(report_id: TRACKING_CODE) -> Response[list[AttachmentView]]:
        svc = services()
        caller = _official(svc, _claims(app, svc), svc.directory())
        if svc.uploads is None:
            raise ServiceNotReady("uploads bucket not configured")
        views = attachments.attachments_for_official(
            app.path_id(report_id), caller, reports=svc.reports, store=svc.uploads, now=svc.clock()
        )
        response = _json(200, views)
        response.headers["Cache-Control"] = "no-store"  # the URLs are short-lived bearer links
        return response

    @app.get(
        "/reports/<report_id>",
        summary="Track a report by its code",
        responses={
            200: {
                "description": "Public view; the official view for an official who may read the report",
                "content": {JSON: {"model": PublicReport | OfficialReport}},
            },
            **_error_responses(401, 403, 404, 422),
        },
    )
    def get_report(
        report_id: TRACKING_CODE, authorization: AUTHORIZATION = None
    ) -> Response[PublicReport | OfficialReport]:
        svc = services()
        directory = svc.directory()
        caller = None
        if authorization:
            # This route is public, so API Gateway's authorizer does not see the token: verify it here.
            verifier = svc.token_verifier
            claims = verifier.verify(authorization) if verifier else None
            if claims is None:
                raise Unauthorized("sign_in")
            caller = _official(svc, claims, directory)
        view = officials.report_view(
            app.path_id(report_id),
            caller,
            reports=svc.reports,
            directory=directory,
            regions=svc.regions(),
            now=svc.clock(),
        )
        return _json(200, view)

    @app.get(
        "/reports/<report_id>/timeline",
        summary="Earlier entries of a report's public timeline, a page at a time",
        responses={
            200: {"description": "One page, oldest first", "content": {JSON: {"model": PublicTimelinePage}}},
            **_error_responses(404, 422),
        },
    )
    def get_timeline(
        report_id: TRACKING_CODE,
        cursor: Annotated[
            str | None,
            Query(
                description="timeline_cursor of the view, or next_cursor of the previous page", max_length=64
            ),
        ] = None,
    ) -> Response[PublicTimelinePage]:
        page = intake.public_timeline(app.path_id(report_id), cursor, reports=services().reports)
        return _json(200, page)

    @app.get(
        "/categories",
        summary="Categories a reporter may choose",
        responses={200: {"description": "Categories", "content": {JSON: {"model": list[CategoryView]}}}},
    )
    def get_categories() -> Response[list[CategoryView]]:
        return _json(200, intake.list_categories(services().directory()))

    @app.get(
        "/regions",
        summary="Provinces, regencies/cities and districts by name (Kemendagri codes)",
        responses={
            200: {
                "description": "Matching regions, best first",
                "content": {JSON: {"model": list[RegionView]}},
            },
            **_error_responses(422),
        },
    )
    def get_regions(
        q: Annotated[
            str | None, Query(description="Words of the name, or a code (3578 or 35.78)", max_length=100)
        ] = None,
        parent: Annotated[
            str | None,
            Query(description="Only regions inside this one; without q, its direct children", max_length=16),
        ] = None,
        limit: Annotated[int, Query(description="At most this many matches of q", ge=1, le=100)] = 20,
    ) -> Response[list[RegionView]]:
        found = regions.find_regions(services().regions(), q=q, parent=parent, limit=limit)
        response = _json(200, found)
        response.headers["Cache-Control"] = "public, max-age=86400"  # the list changes with a release
        return response

    @app.get(
        "/messages",
        summary="The message catalogue (Indonesian and English) the API's errors and the pages use",
        responses={200: {"description": "Field names and messages by id"}},
    )
    def get_messages() -> Response[dict[str, Any]]:
        response = Response(status_code=200, content_type=JSON, body=catalogue.document())
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

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
            app.path_id(report_id), request, reports=svc.reports, directory=svc.directory(), now=svc.clock()
        )
        logger.info(
            "reporter feedback", report_id=result.id, action=request.action, status=result.status.value
        )
        return _json(200, result)

    @app.get(
        "/inbox",
        summary="One of the caller's inboxes, filtered and ordered, with the scope's counts (officials)",
        responses={
            200: {"description": "One page", "content": {JSON: {"model": InboxPageView}}},
            **_error_responses(401, 403, 422),
        },
    )
    def get_inbox(
        scope: Annotated[
            Scope, Query(description="agency (default) | mine | escalated | copies")
        ] = Scope.AGENCY,
        status: Annotated[
            str | None,
            Query(description="Comma-separated statuses, e.g. dispatched,verified", max_length=200),
        ] = None,
        overdue: Annotated[bool, Query(description="Only reports whose current deadline has passed")] = False,
        q: Annotated[
            str | None, Query(description="A tracking code, or words of the title", max_length=200)
        ] = None,
        category: Annotated[str | None, Query(description="A category code", max_length=40)] = None,
        track: Annotated[str | None, Query(description="standard, covid19, ...", max_length=40)] = None,
        sort: Annotated[
            Sort, Query(description="deadline (default: soonest first) | created | -created")
        ] = Sort.DEADLINE,
        limit: Annotated[int, Query(ge=1, le=inbox.MAX_LIMIT, description="Page size")] = inbox.DEFAULT_LIMIT,
        cursor: Annotated[
            str | None, Query(description="next_cursor of the previous page", max_length=2048)
        ] = None,
    ) -> Response[InboxPageView]:
        svc = services()
        directory = svc.directory()
        caller = _official(svc, _claims(app, svc), directory)
        page = inbox.inbox(
            caller,
            reports=svc.reports,
            directory=directory,
            now=svc.clock(),
            scope=scope,
            statuses=inbox.parse_statuses(status),
            overdue=overdue,
            q=q,
            category=category,
            track=track,
            sort=sort,
            limit=limit,
            cursor=cursor,
        )
        return _json(200, page)

    @app.get(
        "/inbox/summary",
        summary="The counts of each of the caller's inboxes (officials)",
        responses={
            200: {"description": "Counts per scope", "content": {JSON: {"model": InboxSummary}}},
            **_error_responses(401, 403),
        },
    )
    def get_inbox_summary() -> Response[InboxSummary]:
        svc = services()
        caller = _official(svc, _claims(app, svc), svc.directory())
        return _json(200, inbox.summary(caller, reports=svc.reports, now=svc.clock()))

    @app.get(
        "/me",
        summary="The signed-in official, and whether they must still enrol TOTP (officials)",
        responses={
            200: {"description": "The caller", "content": {JSON: {"model": MeView}}},
            **_error_responses(401),
        },
    )
    def get_me() -> Response[MeView]:
        svc = services()
        directory = svc.directory()
        claims = _claims(app, svc)
        caller = workflow.caller_from_claims(claims, directory)
        required = svc.settings.mfa_required
        enrolled = _has_totp(svc, claims or {}) if required and officials.needs_mfa(caller) else False
        return _json(
            200, officials.me(caller, directory=directory, mfa_required=required, mfa_enrolled=enrolled)
        )

    @app.get(
        "/officials",
        summary="Officials a report of an agency can be assigned to, fewest open reports first (officials)",
        responses={
            200: {"description": "Assignable officials", "content": {JSON: {"model": list[OfficialOption]}}},
            **_error_responses(401, 403, 404, 422),
        },
    )
    def get_officials(
        agency: Annotated[
            str | None, Query(description="Agency code; default the caller's", max_length=40)
        ] = None,
    ) -> Response[list[OfficialOption]]:
        svc = services()
        directory = svc.directory()
        caller = _official(svc, _claims(app, svc), directory)
        code = (agency or caller.agency).upper()
        return _json(200, officials.assignees(caller, code, reports=svc.reports, directory=directory))

    @app.get(
        "/agencies",
        summary="Agencies reports can go to (for forwarding)",
        responses={200: {"description": "Agencies", "content": {JSON: {"model": list[AgencyRef]}}}},
    )
    def get_agencies() -> Response[list[AgencyRef]]:
        directory = services().directory()
        return _json(200, [AgencyRef(code=a.code, name=a.name) for a in directory.agencies])

    @app.get(
        "/auth/config",
        summary="Where the officials' page signs in (Cognito user pool client)",
        responses={
            200: {"description": "Sign-in settings", "content": {JSON: {"model": SignInConfig}}},
            **_error_responses(503),
        },
    )
    def get_auth_config() -> Response[SignInConfig]:
        svc = services()
        pool = svc.user_pool
        if pool is None:
            raise ServiceNotReady("officials' sign-in not configured")
        config = SignInConfig(
            region=pool.region,
            client_id=pool.client_id,
            endpoint=pool.api_endpoint,
            mfa_required=svc.settings.mfa_required,
        )
        return _json(200, config)

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
        caller = _official(svc, _claims(app, svc), directory)
        report_id = app.path_id(report_id)

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

    def open311_path() -> str | None:
        path = app.current_event.path
        return path if is_open311(path) else None

    @app.not_found
    def not_found(_: Exception) -> Response:
        if path := open311_path():
            message = catalogue.render("route_not_found", app.language())
            open311 = app.open311()
            return open311.refusal(404, [(None, message)], open311.format_of(path))
        return _refusal(404, "route_not_found", app.language())

    @app.exception_handler(RequestValidationError)
    def invalid_request(error: RequestValidationError) -> Response:
        language = app.language()
        fields = validation_errors(error.errors(), language)
        if path := open311_path():
            open311 = app.open311()
            return open311.refusal(400, [(f.field, f.message) for f in fields], open311.format_of(path))
        return _refusal(422, "invalid_input", language, fields)

    @app.exception_handler(InvalidInput)
    def invalid_input(error: InvalidInput) -> Response:
        language = app.language()
        field = FieldError(field=error.field, code=error.message_id, message=error.message(language))
        return _refusal(422, "invalid_input", language, [field])

    def refuse(status: int, error: LaporError) -> Response:
        # The message is the error's own; a field named by the error is marked on the page too.
        language = app.language()
        message = error.message(language)
        fields = (
            [FieldError(field=error.field, code=error.message_id, message=message)] if error.field else []
        )
        body = error_body(error.message_id, language, fields, message=message)
        return Response(status_code=status, content_type=JSON, body=body)

    @app.exception_handler(NotFound)
    def missing(error: NotFound) -> Response:
        return refuse(404, error)

    @app.exception_handler(Unauthorized)
    def unauthorized(error: Unauthorized) -> Response:
        return refuse(401, error)

    @app.exception_handler(Forbidden)
    def forbidden(error: Forbidden) -> Response:
        return refuse(403, error)

    @app.exception_handler(Conflict)
    def conflict(error: Conflict) -> Response:
        return refuse(409, error)

    @app.exception_handler(ItemTooLarge)
    def too_large(error: ItemTooLarge) -> Response:
        # The report's item (or one written with it) would pass DynamoDB's 400 KB: a 4xx, not a 502.
        logger.warning("write refused: item too large")
        return _refusal(409, "report_full", app.language())

    @app.exception_handler(TransitionNotAllowed)
    def not_now(error: TransitionNotAllowed) -> Response:
        language = app.language()
        status_name = catalogue.status_name(error.status.value, language)
        message = catalogue.render("transition", language, status=status_name)
        body = error_body("transition", language, message=message)
        return Response(status_code=409, content_type=JSON, body=body)

    @app.exception_handler(ServiceNotReady)
    def not_ready(error: ServiceNotReady) -> Response:
        logger.error("service not ready", reason=str(error))
        return _refusal(503, "not_configured", app.language())

    @app.exception_handler(DirectoryNotLoaded)
    def no_directory(error: DirectoryNotLoaded) -> Response:
        logger.error("directory not loaded")
        return _refusal(503, "not_configured", app.language())

    @app.exception_handler(ValueError)
    def malformed(error: ValueError) -> Response:
        # powertools raises a bare ValueError for e.g. multipart bodies without a boundary.
        language = app.language()
        if path := open311_path():
            message = catalogue.render("malformed", language)
            open311 = app.open311()
            return open311.refusal(400, [("body", message)], open311.format_of(path))
        return _refusal(400, "malformed", language, [field_error("body", "malformed", language)])

    return app


def _official(svc: Services, claims: dict[str, Any] | None, directory: Any) -> Caller:
    """The calling official from verified claims; MfaRequired where their role needs TOTP they lack."""
    caller = workflow.caller_from_claims(claims, directory)
    if svc.settings.mfa_required and officials.needs_mfa(caller) and not _has_totp(svc, claims or {}):
        raise MfaRequired("mfa_required", field="mfa")
    return caller


def _has_totp(svc: Services, claims: dict[str, Any]) -> bool:
    mfa = svc.mfa_directory
    username = claims.get("cognito:username") or claims.get(workflow.OFFICIAL_ID_CLAIM)
    return bool(mfa and isinstance(username, str) and mfa.has_totp(username))


RESULT_MODELS: dict[str, type[BaseModel]] = {
    "report_action": ActionResult,
}


def _claims(app: APIGatewayRestResolver, svc: Services) -> dict[str, Any] | None:
    """The authorizer's verified claims, when they are an ID token of the officials' app client.

    Only these identify an official (API Gateway's Cognito authorizer, or the local gateway's
    equivalent); nothing the client sends in headers or body does. The deployed authorizer accepts
    an ID token of any app client of the pool, so the audience is checked here against the client
    the officials' page signs in with (a second app client must never open the officials' API).
    """
    authorizer = app.current_event.raw_event.get("requestContext", {}).get("authorizer") or {}
    claims = authorizer.get("claims")
    if not isinstance(claims, dict):
        return None
    client_id = svc.settings.user_pool_client_id
    if client_id and (claims.get("aud") != client_id or claims.get("token_use") != "id"):
        logger.warning("token of another app client refused")
        return None
    return claims


@lru_cache(maxsize=4)
def openapi_document(app: LaporResolver) -> str:
    """The OpenAPI 3.1 document, generated once per warm function."""
    app.open311()  # its routes are part of the API
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
        raise InvalidInput("Idempotency-Key", "idempotency_reused") from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict("idempotency_in_progress") from None


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


def handle(app: LaporResolver, event: dict[str, Any], context: Any, max_body_bytes: int) -> dict[str, Any]:
    """Answer one API Gateway proxy event."""
    if is_open311(event.get("path")):
        app.open311()
    event, repeated = collapse_repeated_headers(event)
    if repeated is not None:
        language = language_of(event.get("headers"))
        refused: Response | None = _refusal(
            422, "invalid_input", language, [field_error(repeated, "header_repeated", language)]
        )
    else:
        refused = precheck(event, max_body_bytes)
    if refused is not None:
        # Built outside the resolver, so its CORS headers are added here: a page on an allowed
        # origin must be able to read why it was refused.
        content_type = refused.headers.get("Content-Type") or JSON  # Open311's may be XML
        headers = {"Content-Type": content_type, **cors_headers(app.cors_config, event)}
        return {
            "statusCode": refused.status_code,
            "headers": headers,
            "body": refused.body,
            "isBase64Encoded": False,
        }
    if event.get("isBase64Encoded") and event.get("body"):
        # Hand the resolver plain text so its validation sees the same JSON precheck accepted.
        event = event | {"body": base64.b64decode(event["body"]).decode(), "isBase64Encoded": False}
    return app.resolve(event, context)


def cors_headers(cors: CORSConfig | None, event: dict[str, Any]) -> dict[str, str]:
    """The CORS headers the resolver would add to an answer to ``event`` (none for other origins)."""
    if cors is None:
        return {}
    origin = next(
        (value for name, value in (event.get("headers") or {}).items() if name.lower() == "origin"), None
    )
    allowed = cors.allowed_origin(origin) if isinstance(origin, str) else None
    return cors.to_dict(allowed) if allowed else {}
