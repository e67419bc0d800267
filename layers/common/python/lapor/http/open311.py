"""Open311 GeoReport v2 routes under ``/open311/v2/``, on the same resolver as Lapor's own API.

Every resource answers as ``.json`` or ``.xml`` (the suffix of its last path segment) and every
refusal is the specification's list of ``{code, description}`` in the requested format: 403 for a
missing or bad api_key, 404 for what does not exist, 400 for anything else, each description naming
the argument at fault in the request's language (``Accept-Language``). ``POST requests`` takes a
form (``application/x-www-form-urlencoded``); the JSON routes' pre-check is not weakened for it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Form, Header, Path, Query
from pydantic import BaseModel, ValidationError

from lapor.adapters.directory_cache import DirectoryNotLoaded
from lapor.app import intake
from lapor.app import open311 as use
from lapor.domain import open311 as spec
from lapor.domain.catalogue import Lang, render
from lapor.domain.errors import Forbidden, LaporError, NotFound, ServiceNotReady
from lapor.domain.open311_path import BASE_PATH
from lapor.http.errors import field_path, language_of, validation_errors
from lapor.observability import logger
from lapor.services import Services

if TYPE_CHECKING:
    from lapor.http.api import LaporResolver

BASE = BASE_PATH
TAGS = ["Open311 GeoReport v2"]
# An Open311 answer that cannot tell which format was asked for uses XML, the required one.
DEFAULT_FORMAT: spec.Format = "xml"

JURISDICTION = Annotated[
    str | None,
    Query(description="Accepted and ignored: this endpoint serves one jurisdiction.", max_length=200),
]
FORMAT = Annotated[str, Path(description="json or xml", max_length=8)]


def format_of(path: str | None) -> spec.Format:
    """The format a path asks for (its last segment's suffix), XML when it names none."""
    found = spec.split_format((path or "").rsplit("/", 1)[-1])
    return found[1] if found else DEFAULT_FORMAT


def _serialize(root: str, value: Any, fmt: spec.Format) -> str:
    if fmt == "json":
        return json.dumps(value, ensure_ascii=False)
    return spec.to_xml(root, value)


def refusal(status: int, problems: list[tuple[str | None, str]], fmt: spec.Format) -> Response[Any]:
    """The specification's error answer: ``[{code, description}]``, one per problem."""
    # Each description names its argument as the specification spells it, for the developer reading it.
    errors = [
        spec.Error(
            code=status, description=message if not field or field in message else f"{field}: {message}"
        )
        for field, message in problems
    ]
    body = _serialize("errors", spec.dump(errors), fmt)
    return Response(status_code=status, content_type=spec.MEDIA_TYPES[fmt], body=body)


def refusal_for(error: Exception, fmt: spec.Format, language: Lang) -> Response | None:
    """The Open311 answer to an error a route raised; None for an error that is not a refusal."""
    if isinstance(error, ValidationError):
        fields = validation_errors(_renamed(error), language)
        return refusal(400, [(f.field, f.message) for f in fields], fmt)
    if isinstance(error, LaporError):
        status = 404 if isinstance(error, NotFound) else 403 if isinstance(error, Forbidden) else 400
        return refusal(status, [(error.field, error.message(language))], fmt)
    if isinstance(error, DirectoryNotLoaded | ServiceNotReady):
        logger.error("open311 not ready", reason=type(error).__name__)
        return refusal(503, [(None, render("not_configured", language))], fmt)
    return None


def _renamed(error: ValidationError) -> list[dict[str, Any]]:
    # The report's field paths become the Open311 arguments they were read from.
    renamed = []
    for item in error.errors():
        path = field_path(item.get("loc", ()))
        renamed.append({**item, "loc": ("body", spec.form_field(path))})
    return renamed


def precheck(event: dict[str, Any], max_body_bytes: int) -> Response | None:
    """Open311's own pre-check: a POST must be a form no larger than the API's limit, in UTF-8."""
    if (event.get("httpMethod") or "").upper() != "POST":
        return None
    language = language_of(event.get("headers"))
    fmt = format_of(event.get("path"))
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items() if isinstance(v, str)}
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != spec.FORM_MEDIA_TYPE:
        message = render("open311_form_required", language, field="Content-Type")
        return refusal(400, [("Content-Type", message)], fmt)
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    if len(raw) > max_body_bytes:
        message = render("body_too_large", language, field="body", max=max_body_bytes)
        return refusal(400, [("body", message)], fmt)
    try:
        text = raw.decode("utf-8")
        parse_qs(text, keep_blank_values=True, max_num_fields=100, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return refusal(400, [("body", render("malformed", language))], fmt)
    return None


def _documented(ok: str, model: Any, *errors: int) -> dict[int | str, Any]:
    """OpenAPI responses of an Open311 operation: JSON (its model) and XML (the same names)."""
    xml = {"text/xml": {"schema": {"type": "string", "description": "The same elements as the JSON"}}}
    error_doc = {
        "application/json": {"model": list[spec.Error]},
        **xml,
    }
    descriptions = {
        400: "Bad arguments; each error names one",
        403: "Missing, unknown or revoked api_key",
        404: "No such service, request, token or format",
    }
    responses: dict[int | str, Any] = {
        200: {"description": ok, "content": {"application/json": {"model": model}, **xml}},
    }
    for status in errors:
        responses[status] = {"description": descriptions[status], "content": error_doc}
    return responses


def register(app: LaporResolver, services: Callable[[], Services]) -> None:
    """Add the Open311 routes to ``app`` (nested resources first: the resolver tries routes in order)."""

    def answer(fmt: str, root: str, produce: Callable[[], BaseModel | list[Any]]) -> Response[Any]:
        language = app.language()
        if fmt not in spec.FORMATS:
            return refusal(404, [(None, render("open311_format", language))], DEFAULT_FORMAT)
        chosen: spec.Format = fmt  # type: ignore[assignment]
        try:
            value = produce()
        except Exception as error:  # refusals become Open311 errors; anything else is re-raised
            refused = refusal_for(error, chosen, language)
            if refused is None:
                raise
            return refused
        body = _serialize(root, spec.dump(value), chosen)
        return Response(status_code=200, content_type=spec.MEDIA_TYPES[chosen], body=body)

    def split(name: str) -> tuple[str, str]:
        found = spec.split_format(name)
        return found if found else (name, "")

    @app.get(
        f"{BASE}/services/<service_file>",
        summary="Open311: a service's definition (its attributes)",
        tags=TAGS,
        responses=_documented("Service definition", spec.ServiceDefinition, 404),
    )
    def get_service_definition(
        service_file: Annotated[
            str, Path(description="The service_code and the format, e.g. kesehatan.json", max_length=64)
        ],
        jurisdiction_id: JURISDICTION = None,
    ) -> Response[Any]:
        code, fmt = split(service_file)
        svc = services()
        return answer(
            fmt,
            "service_definition",
            lambda: use.service_definition(
                code, directory=svc.directory(), regions=svc.regions(), language=app.language()
            ),
        )

    @app.get(
        f"{BASE}/requests/<request_file>",
        summary="Open311: one service request by its tracking code",
        tags=TAGS,
        responses=_documented("A list of one request", list[spec.ServiceRequest], 404),
    )
    def get_service_request(
        request_file: Annotated[
            str,
            Path(
                description="The service_request_id and the format, e.g. 7KQ2-MX9R-TH4PW.json", max_length=80
            ),
        ],
        jurisdiction_id: JURISDICTION = None,
    ) -> Response[Any]:
        report_id, fmt = split(request_file)
        svc = services()
        return answer(
            fmt,
            "service_requests",
            lambda: use.get_request(
                report_id,
                reports=svc.reports,
                directory=svc.directory(),
                regions=svc.regions(),
                language=app.language(),
            ),
        )

    @app.get(
        f"{BASE}/tokens/<token_file>",
        summary="Open311: the service_request_id of a token (Lapor answers ids at once)",
        tags=TAGS,
        responses=_documented("A list of one id and token", list[spec.TokenAnswer], 404),
    )
    def get_token(
        token_file: Annotated[
            str, Path(description="The token and the format, e.g. 7KQ2-MX9R-TH4PW.xml", max_length=80)
        ],
        jurisdiction_id: JURISDICTION = None,
    ) -> Response[Any]:
        value, fmt = split(token_file)
        return answer(fmt, "service_requests", lambda: use.token(value, reports=services().reports))

    @app.get(
        f"{BASE}/discovery.<fmt>",
        summary="Open311: this endpoint's Service Discovery document",
        tags=TAGS,
        responses=_documented("Discovery", spec.Discovery, 404),
    )
    def get_discovery(fmt: FORMAT) -> Response[Any]:
        svc = services()
        event = app.current_event

        def produce() -> spec.Discovery:
            return use.discovery(
                _endpoint_url(event.raw_event),
                directory=svc.directory(),
                regions=svc.regions(),
                public_url=svc.settings.public_url,
                production=not _is_local(svc.settings.public_url),
                language=app.language(),
            )

        return answer(fmt, "discovery", produce)

    @app.get(
        f"{BASE}/services.<fmt>",
        summary="Open311: the services (the directory's categories)",
        tags=TAGS,
        responses=_documented("Services", list[spec.Service], 404),
    )
    def get_services(fmt: FORMAT, jurisdiction_id: JURISDICTION = None) -> Response[Any]:
        return answer(fmt, "services", lambda: use.services(services().directory(), app.language()))

    @app.get(
        f"{BASE}/requests.<fmt>",
        summary="Open311: service requests whose text is public (90 days, 1,000 records at most)",
        tags=TAGS,
        responses=_documented("Service requests, newest first", list[spec.ServiceRequest], 400, 404),
    )
    def get_service_requests(
        fmt: FORMAT,
        jurisdiction_id: JURISDICTION = None,
        service_request_id: Annotated[
            str | None,
            Query(description="Tracking codes, comma-separated; overrides the rest", max_length=2000),
        ] = None,
        service_code: Annotated[
            str | None, Query(description="Service codes, comma-separated", max_length=1000)
        ] = None,
        start_date: Annotated[
            str | None, Query(description="W3C date-time, e.g. 2026-12-01T00:00:00+07:00", max_length=40)
        ] = None,
        end_date: Annotated[str | None, Query(description="W3C date-time", max_length=40)] = None,
        status: Annotated[
            str | None, Query(description="open, closed or both (comma)", max_length=20)
        ] = None,
    ) -> Response[Any]:
        svc = services()
        params = {
            "service_request_id": service_request_id,
            "service_code": service_code,
            "start_date": start_date,
            "end_date": end_date,
            "status": status,
        }
        return answer(
            fmt,
            "service_requests",
            lambda: use.find_requests(
                params,
                reports=svc.reports,
                directory=svc.directory(),
                regions=svc.regions(),
                now=svc.clock(),
                language=app.language(),
            ),
        )

    @app.post(
        f"{BASE}/requests.<fmt>",
        summary="Open311: file a service request (a form; needs a partner's api_key)",
        tags=TAGS,
        responses=_documented(
            "The tracking code and when the agency must verify", list[spec.CreatedRequest], 400, 403, 404
        ),
    )
    def post_service_request(
        fmt: FORMAT,
        api_key: Annotated[
            str | None, Form(description="The partner application's key", max_length=200)
        ] = None,
        service_code: Annotated[str | None, Form(description="From services", max_length=64)] = None,
        description: Annotated[
            str | None, Form(description="What happened (up to 5,000 characters)", max_length=5000)
        ] = None,
        lat: Annotated[str | None, Form(description="WGS84 latitude, with long", max_length=40)] = None,
        long: Annotated[str | None, Form(description="WGS84 longitude, with lat", max_length=40)] = None,
        address_string: Annotated[
            str | None, Form(description="Most specific part first", max_length=500)
        ] = None,
        region: Annotated[
            str | None, Form(alias="attribute[region]", description="Kemendagri code", max_length=16)
        ] = None,
        kind: Annotated[
            str | None,
            Form(
                alias="attribute[kind]",
                description="complaint, aspiration or information_request",
                max_length=40,
            ),
        ] = None,
        anonymous: Annotated[
            str | None, Form(alias="attribute[anonymous]", description="true or false", max_length=10)
        ] = None,
        confidential: Annotated[
            str | None, Form(alias="attribute[confidential]", description="true or false", max_length=10)
        ] = None,
        email: Annotated[
            str | None, Form(description="The reporter's email (never shown)", max_length=254)
        ] = None,
        phone: Annotated[
            str | None, Form(description="The reporter's mobile (never shown)", max_length=32)
        ] = None,
        first_name: Annotated[str | None, Form(max_length=100)] = None,
        last_name: Annotated[str | None, Form(max_length=100)] = None,
        device_id: Annotated[str | None, Form(max_length=200)] = None,
        media_url: Annotated[str | None, Form(description="An http(s) link", max_length=2048)] = None,
        jurisdiction_id: Annotated[
            str | None, Form(description="Accepted and ignored", max_length=200)
        ] = None,
        account_id: Annotated[str | None, Form(description="Accepted and ignored", max_length=200)] = None,
        idempotency_key: Annotated[
            str | None,
            Header(
                alias="Idempotency-Key",
                min_length=1,
                max_length=128,
                description="A retry with the same key files nothing new",
            ),
        ] = None,
    ) -> Response[Any]:
        form = {
            name: [value]
            for name, value in {
                "service_code": service_code,
                "description": description,
                "lat": lat,
                "long": long,
                "address_string": address_string,
                "attribute[region]": region,
                "attribute[kind]": kind,
                "attribute[anonymous]": anonymous,
                "attribute[confidential]": confidential,
                "email": email,
                "phone": phone,
                "first_name": first_name,
                "last_name": last_name,
                "device_id": device_id,
                "media_url": media_url,
            }.items()
            if value is not None
        }
        svc = services()

        def produce() -> list[spec.CreatedRequest]:
            partner = use.authorize(api_key, svc.partner_keys)
            submission = spec.parse_submission(form)
            attempt = None
            if idempotency_key:
                attempt = intake.SubmitAttempt(
                    table=_idempotency_table(svc),
                    key=f"open311:{partner.key_id}:{idempotency_key}",
                    payload=use.form_payload(form),
                    ttl_seconds=svc.settings.idempotency_ttl_seconds,
                    secret=svc.receipt_secret.get(),
                )
            created = use.submit(
                submission,
                partner,
                reports=svc.reports,
                directory=svc.directory(),
                regions=svc.regions(),
                places=svc.places(),
                now=svc.clock(),
                language=app.language(),
                attempt=attempt,
                quota_table=svc.settings.idempotency_table,
            )
            logger.info("open311 request filed", report_id=created.service_request_id, partner=partner.key_id)
            return [created]

        return answer(fmt, "service_requests", produce)


def _idempotency_table(svc: Services) -> str:
    if not svc.settings.idempotency_table:
        raise ServiceNotReady("LAPOR_IDEMPOTENCY_TABLE is required for Idempotency-Key support")
    return svc.settings.idempotency_table


def _is_local(url: str) -> bool:
    host = url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
    return host in {"127.0.0.1", "localhost", "[::1]"}


def _endpoint_url(event: dict[str, Any]) -> str:
    """This endpoint's base URL as the client reached it: scheme and host of the request, and the
    stage or base path API Gateway put in front of the route."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items() if isinstance(v, str)}
    scheme = headers.get("x-forwarded-proto", "https").split(",")[0].strip() or "https"
    host = headers.get("host", "localhost")
    context_path = (event.get("requestContext") or {}).get("path") or ""
    path = event.get("path") or ""
    prefix = context_path[: -len(path)] if path and context_path.endswith(path) else ""
    return f"{scheme}://{host}{prefix}{BASE}"
