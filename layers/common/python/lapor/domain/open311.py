"""Open311 GeoReport v2: the specification's names, shapes and rules, with no I/O.

The reference is the GeoReport v2 specification (wiki.open311.org/GeoReport_v2) and its Service
Discovery page. Every resource answers as JSON or XML; the JSON follows the specification's
"Spark convention": a list in JSON is a wrapper element with one child element per item in XML
(``[{...}]`` ↔ ``<services><service>...</service></services>``). Element names are the
specification's, in its order.

What Lapor maps onto it: services are the directory's categories; a service request is a report,
its ``service_request_id`` the tracking code; ``status`` is ``open`` until the agency has answered
(completed, closed or rejected: "closed", the same buckets as LAPOR!'s statistics).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from msgspec import Struct
from pydantic import BaseModel, Field

from lapor.domain.errors import InvalidInput
from lapor.domain.ids import normalize_report_id
from lapor.domain.lifecycle import Status
from lapor.domain.workdays import WIB

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
Format = Literal["json", "xml"]
FORMATS: tuple[Format, ...] = ("json", "xml")
MEDIA_TYPES: dict[Format, str] = {
    "json": "application/json; charset=utf-8",
    "xml": "text/xml; charset=utf-8",
}
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
# "Default query limit is a span of 90 days or first 1000 requests returned, whichever is smallest."
MAX_SPAN = timedelta(days=90)
MAX_RECORDS = 1000
# The comma list of ids is answered with one read per id: bounded like any other list.
MAX_IDS = 100
# The specification limits descriptions to 4,000 characters; Lapor accepts 5,000 from its own form.
DESCRIPTION_LIMIT = 4000
# Lambda answers at most 6 MB: a list stops before its records would pass this many bytes.
MAX_ANSWER_BYTES = 5_000_000
CLOSED_STATUSES = frozenset({Status.COMPLETED, Status.CLOSED, Status.REJECTED})
OPEN_STATUSES = frozenset(Status) - CLOSED_STATUSES
# Attribute codes of every service, in the order they are presented.
ATTRIBUTES = ("kind", "region", "anonymous", "confidential")
API_KEY_PREFIX = "o311_"


def open311_status(status: Status) -> Literal["open", "closed"]:
    """``closed`` once the agency has answered (completed, closed or rejected), else ``open``."""
    return "closed" if status in CLOSED_STATUSES else "open"


def split_format(name: str) -> tuple[str, Format] | None:
    """``("7KQ2-MX9R-TH4PW", "json")`` from ``7KQ2-MX9R-TH4PW.json``; None without a known format."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or suffix.lower() not in FORMATS:
        return None
    return stem, suffix.lower()  # type: ignore[return-value]


# ---- partner keys ----------------------------------------------------------------------------------


def hash_api_key(api_key: str) -> str:
    """The stored form of a partner's api_key (keys are random, so a plain SHA-256 suffices)."""
    return hashlib.sha256(api_key.strip().encode()).hexdigest()


def key_id_of(key_hash: str) -> str:
    """The public id operators list and revoke a key by: the first 12 hex digits of its hash."""
    return key_hash[:12]


def api_key_matches(api_key: str, key_hash: str) -> bool:
    """Constant-time comparison of a presented api_key with a stored hash."""
    return hmac.compare_digest(hash_api_key(api_key), key_hash)


class PartnerKey(Struct, frozen=True):
    """A partner application allowed to file requests; only the hash of its key is stored."""

    key_id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


# ---- answers (their JSON shapes; the same names are the XML elements) -------------------------------


class Service(BaseModel):
    """One item of ``GET services``: a category of the directory."""

    service_code: str
    service_name: str
    description: str
    metadata: bool = Field(description="true: GET services/{service_code} lists attributes")
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str = Field(description="Comma-separated")
    group: str


class AttributeValue(BaseModel):
    """One choice of a list attribute."""

    key: str
    name: str


class Attribute(BaseModel):
    """One attribute a request of the service may carry, as ``attribute[code]=value``."""

    variable: bool
    code: str
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[AttributeValue] = Field(default_factory=list)


class ServiceDefinition(BaseModel):
    """``GET services/{service_code}``."""

    service_code: str
    attributes: list[Attribute]


class Endpoint(BaseModel):
    """One endpoint of the discovery document."""

    specification: str
    url: str
    changeset: str
    type: Literal["production", "test"]
    formats: list[str]


class Discovery(BaseModel):
    """``GET discovery``: the endpoint's description (Service Discovery specification)."""

    changeset: str
    contact: str
    key_service: str
    endpoints: list[Endpoint]


class ServiceRequest(BaseModel):
    """One item of ``GET requests`` and ``GET requests/{id}``."""

    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str | None = None
    service_name: str | None = None
    service_code: str | None = None
    description: str | None = None
    agency_responsible: str | None = None
    service_notice: str | None = None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None = None
    address: str | None = None
    address_id: str | None = None
    zipcode: str | None = None
    lat: float | None = None
    long: float | None = None
    media_url: str | None = None


class CreatedRequest(BaseModel):
    """The answer to ``POST requests``: the tracking code (Lapor files in real time, never a token)."""

    service_request_id: str
    service_notice: str | None = None
    account_id: str | None = None


class TokenAnswer(BaseModel):
    """``GET tokens/{token}``."""

    service_request_id: str
    token: str


class Error(BaseModel):
    """One error; the answer to a refused request is a list of them."""

    code: int
    description: str


# ---- serialization ----------------------------------------------------------------------------------

# Spark convention: the element of each item of a list, by the list's element.
ITEM_ELEMENTS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for name, child in value.items():
            _fill(ET.SubElement(element, name), child)
    elif isinstance(value, list):
        item = ITEM_ELEMENTS[element.tag]
        for child in value:
            _fill(ET.SubElement(element, item), child)
    else:
        element.text = _text(value)


def to_xml(root: str, value: Any) -> str:
    """``value`` (dicts, lists, scalars) as the specification's XML, under the element ``root``.

    A list becomes one child per item, named by ``ITEM_ELEMENTS``; None an empty element; booleans
    ``true``/``false``. ElementTree escapes every text, so nothing a reporter typed becomes markup.
    """
    element = ET.Element(root)
    _fill(element, value)
    return XML_DECLARATION + ET.tostring(element, encoding="unicode")


def dump(value: BaseModel | Sequence[BaseModel]) -> Any:
    """A model (or list of models) as plain data in the specification's field order."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return [item.model_dump(mode="json") for item in value]


# ---- dates --------------------------------------------------------------------------------------------

_W3C = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$", re.ASCII)


def parse_w3c(field: str, text: str) -> datetime:
    """A W3C date-time (``2010-01-01T00:00:00Z``, ``2026-12-01T08:00:00+07:00``) or date.

    A time must carry its zone, as the specification requires; a date alone is its first instant
    in WIB. InvalidInput naming ``field`` otherwise.
    """
    value = text.strip()
    if not _W3C.match(value):
        raise InvalidInput(field, "open311_datetime")
    try:
        if "T" not in value:
            return datetime.combine(date.fromisoformat(value), time(), tzinfo=WIB)
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(field, "open311_datetime") from None


def w3c(instant: datetime | None) -> str | None:
    """An instant in WIB with its offset, to the second: ``2026-12-01T08:00:00+07:00``."""
    if instant is None:
        return None
    return instant.astimezone(WIB).replace(microsecond=0).isoformat()


# ---- GET requests ------------------------------------------------------------------------------------


class RequestQuery(Struct, frozen=True):
    """The filters of ``GET requests`` once read: either ids, or a window with optional filters."""

    ids: tuple[str, ...] = ()
    service_codes: frozenset[str] = frozenset()
    start: datetime | None = None
    end: datetime | None = None
    statuses: frozenset[Status] = frozenset()

    @property
    def by_id(self) -> bool:
        return bool(self.ids)


def _comma_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def parse_request_query(params: Mapping[str, str | None], now: datetime) -> RequestQuery:
    """Read ``GET requests``' arguments; InvalidInput naming the first one at fault.

    ``service_request_id`` (comma list) overrides every other argument. Otherwise the window is
    ``start_date``..``end_date`` on the request's time, at most 90 days: with one end given the other
    is 90 days away, with neither the most recent 90 days. ``status`` is ``open``, ``closed`` or both.
    """
    ids = _comma_list(params.get("service_request_id"))
    if ids:
        if len(ids) > MAX_IDS:
            raise InvalidInput("service_request_id", "open311_too_many_ids", max=MAX_IDS)
        return RequestQuery(ids=tuple(dict.fromkeys(ids)))
    codes = frozenset(_comma_list(params.get("service_code")))
    statuses: set[Status] = set()
    for word in _comma_list(params.get("status")):
        if word.lower() == "open":
            statuses |= OPEN_STATUSES
        elif word.lower() == "closed":
            statuses |= CLOSED_STATUSES
        else:
            raise InvalidInput("status", "open311_status")
    start_text, end_text = params.get("start_date"), params.get("end_date")
    start = parse_w3c("start_date", start_text) if start_text and start_text.strip() else None
    end = parse_w3c("end_date", end_text) if end_text and end_text.strip() else None
    if start is None and end is None:
        end = now
        start = now - MAX_SPAN
    elif start is None:
        assert end is not None
        start = end - MAX_SPAN
    elif end is None:
        end = start + MAX_SPAN
    if end < start:
        raise InvalidInput("end_date", "open311_date_order")
    if end - start > MAX_SPAN:
        raise InvalidInput("end_date", "open311_span", days=MAX_SPAN.days)
    return RequestQuery(service_codes=codes, start=start, end=end, statuses=frozenset(statuses))


def canonical_ids(ids: Sequence[str]) -> list[str]:
    """The tracking codes among ``ids`` in canonical form, in order; ones that cannot be codes dropped."""
    found = []
    for value in ids:
        canonical = normalize_report_id(value)
        if canonical and canonical not in found:
            found.append(canonical)
    return found


def months_between(start: datetime, end: datetime) -> list[str]:
    """The WIB months (``YYYY-MM``) from ``end``'s back to ``start``'s, newest first."""
    first, last = start.astimezone(WIB), end.astimezone(WIB)
    months = []
    year, month = last.year, last.month
    while (year, month) >= (first.year, first.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


# ---- POST requests ------------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
TITLE_LIMIT = 100
_TRUE = {"true", "1", "yes", "ya"}
_FALSE = {"false", "0", "no", "tidak", ""}


class Submission(Struct, frozen=True):
    """What a partner's ``POST requests`` asks for, read from the form (not yet validated as a report)."""

    service_code: str
    description: str
    lat: float | None
    lon: float | None
    address: str | None
    region: str | None
    kind: str | None
    anonymous: bool
    confidential: bool
    email: str | None
    phone: str | None
    name: str | None
    device_id: str | None
    media_url: str | None


def _one(form: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = form.get(name) or []
    # The specification: an empty argument is the same as one not sent.
    value = values[-1].strip() if values else ""
    return value or None


def _flag(form: Mapping[str, Sequence[str]], name: str) -> bool:
    value = (_one(form, name) or "").lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidInput(name, "not_boolean")


def _coordinate(form: Mapping[str, Sequence[str]], name: str) -> float | None:
    text = _one(form, name)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(name, "not_number") from None
    if not math.isfinite(value):
        raise InvalidInput(name, "not_number")
    return value


_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE | re.ASCII)


def parse_submission(form: Mapping[str, Sequence[str]]) -> Submission:
    """Read a ``POST requests`` form (values as lists, as ``parse_qs`` gives them).

    Checks what only Open311 knows: a service code, a location (``lat`` and ``long`` together,
    ``address_string`` or ``attribute[region]``), the flags, and that ``media_url`` is an http(s)
    link. The report's own rules (lengths, email, phone, region code) are checked when it is built.
    """
    service_code = _one(form, "service_code")
    if service_code is None:
        raise InvalidInput("service_code", "required")
    lat, lon = _coordinate(form, "lat"), _coordinate(form, "long")
    if (lat is None) != (lon is None):
        raise InvalidInput("long" if lon is None else "lat", "open311_lat_long")
    address = _one(form, "address_string")
    region = _one(form, "attribute[region]")
    if lat is None and address is None and region is None:
        raise InvalidInput("lat", "open311_location")
    media_url = _one(form, "media_url")
    if media_url is not None and (len(media_url) > 2048 or not _URL.match(media_url)):
        raise InvalidInput("media_url", "open311_media_url")
    description = _one(form, "description")
    if description is None:
        raise InvalidInput("description", "required")
    names = [part for part in (_one(form, "first_name"), _one(form, "last_name")) if part]
    return Submission(
        service_code=service_code,
        description=description,
        lat=lat,
        lon=lon,
        address=address,
        region=region,
        kind=_one(form, "attribute[kind]"),
        anonymous=_flag(form, "attribute[anonymous]"),
        confidential=_flag(form, "attribute[confidential]"),
        email=_one(form, "email"),
        phone=_one(form, "phone"),
        name=" ".join(names) or None,
        device_id=_one(form, "device_id"),
        media_url=media_url,
    )


def title_from(description: str, service_name: str) -> str:
    """A report title from an Open311 description, which has none: its first sentence or line, cut
    at a word to 100 characters; prefixed with the service's name when that alone is too short."""
    first = description.strip().splitlines()[0].strip() if description.strip() else ""
    first = _SENTENCE_END.split(first, maxsplit=1)[0].strip()
    if len(first) > TITLE_LIMIT:
        cut = first[: TITLE_LIMIT - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
        first = (cut or first[: TITLE_LIMIT - 1]) + "…"
    if len(first) < 5:
        first = f"{service_name}: {first}".strip().rstrip(":")
    return first


# Where each field of a report request comes from in the Open311 form (for naming errors).
FORM_FIELDS = {
    "title": "description",
    "description": "description",
    "category": "service_code",
    "region": "attribute[region]",
    "kind": "attribute[kind]",
    "anonymous": "attribute[anonymous]",
    "confidential": "attribute[confidential]",
    "location": "lat",
    "location.lat": "lat",
    "location.lon": "long",
    "reporter": "email",
    "reporter.email": "email",
    "reporter.phone": "phone",
    "reporter.name": "first_name",
}


def form_field(path: str) -> str:
    """The Open311 argument a report field was read from (``reporter.email`` -> ``email``)."""
    return FORM_FIELDS.get(path, path)


def clip(text: str | None, limit: int = DESCRIPTION_LIMIT) -> str | None:
    """``text`` cut to ``limit`` characters (with an ellipsis), as the specification's fields allow."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"
