"""Open311 GeoReport v2 on Lapor's own rules: its directory as services, its intake for new requests,
its reports (public text only, redacted) as service requests.

Nothing here decides differently from Lapor's own API: a request is filed through
``intake.submit_report`` and routed, dispatched and escalated like any report; what the answers show
is what the public tracking view shows, through the one redaction of ``lapor.domain.redaction``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from lapor.adapters.partners import PartnerKeys
from lapor.adapters.repository import ReportRepository
from lapor.app import intake
from lapor.app.regions import known_region, region_of_address, region_of_point, region_ref
from lapor.app.render import format_wib
from lapor.domain import open311 as spec
from lapor.domain.catalogue import KINDS, Lang, render
from lapor.domain.directory import Category, Directory
from lapor.domain.errors import Forbidden, InvalidInput, NotFound
from lapor.domain.inbox import current_deadline
from lapor.domain.lifecycle import Status
from lapor.domain.models import Report, SubmitReportRequest
from lapor.domain.places import PlaceIndex
from lapor.domain.redaction import for_public
from lapor.domain.regions import RegionIndex
from lapor.domain.routing import choose_category, choose_track

# Points are shown to about 100 m: enough to put a pothole on a map, not a reporter's front door.
COORDINATE_DECIMALS = 3


# ---- discovery and services -------------------------------------------------------------------------


def changeset(directory: Directory, regions: RegionIndex) -> str:
    """Changes whenever the services or their definitions do: a digest of what they are built from."""
    basis = {
        "categories": [c.model_dump(mode="json") for c in directory.categories],
        "agencies": [[a.code, a.name] for a in directory.agencies],
        "regions": len(regions),
    }
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:16]


def discovery(
    endpoint_url: str,
    *,
    directory: Directory,
    regions: RegionIndex,
    public_url: str,
    production: bool,
    language: Lang,
) -> spec.Discovery:
    """The Service Discovery document of this endpoint."""
    version = changeset(directory, regions)
    return spec.Discovery(
        changeset=version,
        contact=render("open311_contact", language, url=public_url),
        key_service=render("open311_key_service", language, url=public_url),
        endpoints=[
            spec.Endpoint(
                specification=spec.SPECIFICATION,
                url=endpoint_url,
                changeset=version,
                type="production" if production else "test",
                formats=[
                    media.split(";")[0] for media in (spec.MEDIA_TYPES["xml"], spec.MEDIA_TYPES["json"])
                ],
            )
        ],
    )


def _service(category: Category, directory: Directory, language: Lang) -> spec.Service:
    agency = directory.agencies_by_code.get(category.agency or "")
    if agency is not None:
        description = render("open311_service", language, name=category.name, agency=agency.name)
        group = agency.name
    else:
        description = render("open311_service_triage", language)
        group = render("open311_group_triage", language)
    return spec.Service(
        service_code=category.code,
        service_name=category.name,
        description=description,
        metadata=True,
        type="realtime",
        keywords=", ".join(category.keywords),
        group=group,
    )


def services(directory: Directory, language: Lang) -> list[spec.Service]:
    """``GET services``: every category of the directory, in its order."""
    return [_service(category, directory, language) for category in directory.categories]


def _category(code: str, directory: Directory) -> Category:
    category = directory.categories_by_code.get(code.strip())
    if category is None:
        raise NotFound("open311_service_unknown", field="service_code", code=code)
    return category


def service_definition(
    code: str, *, directory: Directory, regions: RegionIndex, language: Lang
) -> spec.ServiceDefinition:
    """``GET services/{service_code}``: the attributes every service takes (kind, region, anonymous,
    confidential); the region's values are Kemendagri's provinces and regencies/cities."""
    category = _category(code, directory)
    yes_no = [
        spec.AttributeValue(key="true", name=render("open311_yes", language)),
        spec.AttributeValue(key="false", name=render("open311_no", language)),
    ]
    places = [
        spec.AttributeValue(key=region.code, name=regions.full_name(region.code) or region.name)
        for province in regions.children(None)
        for region in (province, *regions.children(province.code))
    ]
    kinds = [spec.AttributeValue(key=kind, name=names[language]) for kind, names in KINDS.items()]
    attributes = [
        ("kind", kinds, "open311_kind"),
        ("region", places, "open311_region"),
        ("anonymous", yes_no, "open311_anonymous"),
        ("confidential", yes_no, "open311_confidential"),
    ]
    return spec.ServiceDefinition(
        service_code=category.code,
        attributes=[
            spec.Attribute(
                variable=True,
                code=code_,
                datatype="singlevaluelist",
                required=False,
                datatype_description=None,
                order=order,
                description=render(message, language),
                values=values,
            )
            for order, (code_, values, message) in enumerate(attributes, start=1)
        ],
    )


# ---- POST requests ------------------------------------------------------------------------------------


def authorize(api_key: str | None, keys: PartnerKeys) -> spec.PartnerKey:
    """The partner application an api_key belongs to; Forbidden (403) when missing, unknown or revoked."""
    if not api_key or not api_key.strip():
        raise Forbidden("required", field="api_key")
    partner = keys.find(api_key)
    if partner is None:
        raise Forbidden("open311_api_key", field="api_key")
    return partner


def build_request(
    submission: spec.Submission, *, directory: Directory, regions: RegionIndex, places: PlaceIndex
) -> SubmitReportRequest:
    """The report a submission asks for, validated as ``POST /reports`` validates its body.

    The region is ``attribute[region]`` when given, else the point's (``lapor.domain.places``),
    else the most precise region ``address_string`` names (none: the category's own agency). Raises
    NotFound for an unknown service, InvalidInput or pydantic's ValidationError for bad values.
    """
    category = _category(submission.service_code, directory)
    if submission.region is not None:
        region: str | None = known_region(submission.region, regions, field="attribute[region]")
    elif submission.lat is not None and submission.lon is not None:
        region = region_of_point(submission.lat, submission.lon, places, regions)
        if region is None:
            raise InvalidInput("lat", "open311_location_far")
    else:
        region = region_of_address(submission.address or "", regions)
    body: dict[str, Any] = {
        "title": spec.title_from(submission.description, category.name),
        "description": submission.description,
        "category": category.code,
        "region": region,
        "anonymous": submission.anonymous,
        "confidential": submission.confidential,
    }
    if submission.kind is not None:
        body["kind"] = submission.kind
    if submission.lat is not None:
        body["location"] = {"lat": submission.lat, "lon": submission.lon}
    contact = {"name": submission.name, "email": submission.email, "phone": submission.phone}
    if any(contact.values()):
        body["reporter"] = {key: value for key, value in contact.items() if value}
    return SubmitReportRequest.model_validate(body)


def expected_verify_by(request: SubmitReportRequest, *, directory: Directory, now: datetime) -> datetime:
    """When the agency must verify a report filed now: the track routing will choose, its working days.

    Routing runs seconds later from the stream; it picks the same category and track from the same
    text, so the deadline differs only if the dispatch crosses midnight WIB.
    """
    text = request.title + "\n" + request.description
    track = choose_track(choose_category(text, request.category, directory), text, directory)
    return directory.work_calendar.add_working_days(now, directory.tracks[track].verify_days)


def submit(
    submission: spec.Submission,
    partner: spec.PartnerKey,
    *,
    reports: ReportRepository,
    directory: Directory,
    regions: RegionIndex,
    places: PlaceIndex,
    now: datetime,
    language: Lang,
    attempt: intake.SubmitAttempt | None = None,
    quota_table: str | None = None,
) -> spec.CreatedRequest:
    """File a partner's request as a report; its answer names the tracking code and the verify deadline.

    The reporter's contact counts against the same daily message limit as a report filed on the site
    (``quota_table``), so a partner's form cannot be used to relay messages either.
    """
    request = build_request(submission, directory=directory, regions=regions, places=places)
    origin = intake.Origin(
        source=f"open311:{partner.key_id}",
        address=submission.address,
        media_url=submission.media_url,
        device_id=submission.device_id,
    )
    created = intake.submit_report(
        request,
        reports=reports,
        regions=regions,
        now=now,
        attempt=attempt,
        origin=origin,
        quota_table=quota_table,
    )
    deadline = expected_verify_by(request, directory=directory, now=created.created_at)
    notice = render("open311_notice_created", language, deadline=format_wib(deadline, language))
    return spec.CreatedRequest(service_request_id=created.id, service_notice=notice)


# ---- GET requests ------------------------------------------------------------------------------------


def _notice(report: Report, agency: str | None, language: Lang) -> str | None:
    if report.status == Status.RECEIVED:
        return render("open311_notice_received", language)
    if report.status == Status.COMPLETED and report.deadlines.close_after:
        deadline = format_wib(report.deadlines.close_after, language)
        return render("open311_notice_completed", language, agency=agency or "", deadline=deadline)
    current = current_deadline(report)
    if current is None or agency is None:
        return None
    deadline = format_wib(current.at, language)
    return render(f"open311_notice_{current.stage}", language, agency=agency, deadline=deadline)


def service_request(
    report: Report, *, directory: Directory, regions: RegionIndex, language: Lang
) -> spec.ServiceRequest:
    """A report as a service request: what its public view shows, redacted.

    A confidential report shows its state, agency and deadlines but no description, place or media.
    """
    # No Open311 reader knows the reporter: the public redaction, which hides the name too.
    redact = for_public(report)
    code = report.category or report.requested_category
    category = directory.categories_by_code.get(code or "")
    agency = directory.agencies_by_code.get(report.agency or "")
    public = not report.confidential
    location = report.location if public else None
    region = region_ref(report.region, regions) if public else None
    deadline = current_deadline(report)
    return spec.ServiceRequest(
        service_request_id=report.id,
        status=spec.open311_status(report.status),
        status_notes=spec.clip(redact(report.public_note)) if report.public_note else None,
        service_name=category.name if category else None,
        service_code=category.code if category else None,
        description=spec.clip(redact(report.description)) if public else None,
        agency_responsible=agency.name if agency else None,
        service_notice=_notice(report, agency.name if agency else None, language),
        requested_datetime=spec.w3c(report.created_at) or "",
        updated_datetime=spec.w3c(report.updated_at) or "",
        expected_datetime=spec.w3c(deadline.at) if deadline else None,
        address=region.full_name if region else None,
        lat=round(location.lat, COORDINATE_DECIMALS) if location else None,
        long=round(location.lon, COORDINATE_DECIMALS) if location else None,
        media_url=redact(report.media_url) if public and report.media_url else None,
    )


def _within_budget(views: list[spec.ServiceRequest]) -> list[spec.ServiceRequest]:
    """The views that fit an answer of MAX_ANSWER_BYTES (XML's tags counted as about 300 bytes each)."""
    kept, size = [], 0
    for view in views:
        size += len(view.model_dump_json().encode()) + 300
        if size > spec.MAX_ANSWER_BYTES:
            break
        kept.append(view)
    return kept


def find_requests(
    params: Mapping[str, str | None],
    *,
    reports: ReportRepository,
    directory: Directory,
    regions: RegionIndex,
    now: datetime,
    language: Lang,
) -> list[spec.ServiceRequest]:
    """``GET requests``: by tracking codes, or reports whose text is public in a window, newest first
    (at most 90 days and 1,000 records)."""
    query = spec.parse_request_query(params, now)
    found: list[Report] = []
    if query.by_id:
        for report_id in spec.canonical_ids(query.ids):
            report = reports.get(report_id, consistent=False)
            if report is not None:
                found.append(report)
    else:
        assert query.start is not None and query.end is not None
        for month in spec.months_between(query.start, query.end):
            found += reports.public_reports(
                month,
                start=query.start,
                end=query.end,
                statuses={status.value for status in query.statuses},
                categories=query.service_codes,
                limit=spec.MAX_RECORDS - len(found),
            )
            if len(found) >= spec.MAX_RECORDS:
                break
    views = [service_request(r, directory=directory, regions=regions, language=language) for r in found]
    return _within_budget(views)


def get_request(
    report_id: str, *, reports: ReportRepository, directory: Directory, regions: RegionIndex, language: Lang
) -> list[spec.ServiceRequest]:
    """``GET requests/{id}``: the one report, as a list of one (the specification's shape)."""
    ids = spec.canonical_ids([report_id])
    report = reports.get(ids[0], consistent=False) if ids else None
    if report is None:
        raise NotFound("open311_request_unknown", code=report_id)
    return [service_request(report, directory=directory, regions=regions, language=language)]


def token(value: str, *, reports: ReportRepository) -> list[spec.TokenAnswer]:
    """``GET tokens/{token}``. Lapor files every request in real time and answers its tracking code
    at once, so it never hands out tokens; a client that follows tokens anyway may use the tracking
    code as one and gets it back as the ``service_request_id``."""
    ids = spec.canonical_ids([value])
    report = reports.get(ids[0], consistent=False) if ids else None
    if report is None:
        raise NotFound("open311_token_unknown", code=value)
    return [spec.TokenAnswer(service_request_id=report.id, token=value)]


def form_payload(form: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """A form as the Idempotency-Key's record compares it (the api_key left out: it is a secret)."""
    return {name: list(values) for name, values in sorted(form.items()) if name != "api_key"}
