"""The directory: agencies, officials, categories, tracks and calendar tweaks, loaded from YAML."""

import re
from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lapor.domain.contacts import is_valid_email, normalize_phone
from lapor.domain.workdays import WorkCalendar

_AGENCY_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,39}$")
_OFFICIAL_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_CATEGORY_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_REGION_PREFIX = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
OMBUDSMAN = "ORI"


class Role(StrEnum):
    """What an official does for their agency."""

    LIAISON = "liaison"
    ADMIN = "admin"
    SUPERVISOR = "supervisor"


class AgencyKind(StrEnum):
    """The group an agency's figures are published in (KemenPAN-RB reports follow-up per group)."""

    KEMENTERIAN = "kementerian"  # ministries
    LEMBAGA = "lembaga"  # non-ministerial institutions and agencies
    PEMDA = "pemda"  # regional governments and their offices
    BUMN = "bumn"  # state-owned enterprises


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Track(_Entry):
    """Deadline rules; a track with keywords overrides a category's track when they match."""

    verify_days: int = Field(ge=1, le=60)
    follow_up_days: int = Field(ge=1, le=60)
    resolve_days: int = Field(ge=1, le=365)
    keywords: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()


class Agency(_Entry):
    """A government body that receives reports."""

    code: str
    name: str = Field(min_length=1)
    kind: AgencyKind
    supervisor: str | None = None


class Official(_Entry):
    """A person who handles reports for an agency."""

    id: str
    name: str = Field(min_length=1)
    email: str
    phone: str | None = None
    agency: str
    role: Role
    active: bool = True


class Category(_Entry):
    """A subject of reports and the agency competent for it."""

    code: str
    name: str = Field(min_length=1)
    agency: str | None = None
    track: str = "standard"
    keywords: tuple[str, ...] = ()
    regions: dict[str, str] = Field(default_factory=dict)
    generic: bool = False


class CalendarConfig(_Entry):
    """Operator corrections to the national holiday calendar."""

    extra_holidays: tuple[date, ...] = ()
    extra_working_days: tuple[date, ...] = ()


class DirectoryError(ValueError):
    """A directory file that cannot be used; ``problems`` names every bad entry."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid directory:\n" + "\n".join(f"- {p}" for p in problems))
        self.problems = problems


class Directory(_Entry):
    """The whole directory, cross-checked: every reference resolves."""

    national_admin: str
    # Invented people at reserved addresses, for the local stack: operators' commands refuse to load
    # a directory marked so into a deployed stack.
    demo: bool = False
    calendar: CalendarConfig = Field(default_factory=CalendarConfig)
    tracks: dict[str, Track]
    agencies: tuple[Agency, ...]
    officials: tuple[Official, ...]
    categories: tuple[Category, ...]

    @cached_property
    def agencies_by_code(self) -> dict[str, Agency]:
        """Agencies keyed by code."""
        return {agency.code: agency for agency in self.agencies}

    @cached_property
    def officials_by_id(self) -> dict[str, Official]:
        """Officials keyed by id."""
        return {official.id: official for official in self.officials}

    @cached_property
    def categories_by_code(self) -> dict[str, Category]:
        """Categories keyed by code."""
        return {category.code: category for category in self.categories}

    @cached_property
    def work_calendar(self) -> WorkCalendar:
        """Working days with this directory's extra holidays and working days applied."""
        return WorkCalendar(self.calendar.extra_holidays, self.calendar.extra_working_days)

    def track_for(self, name: str | None) -> Track:
        """A report's track, or the standard one when it has none (yet) or it left the directory."""
        return self.tracks.get(name or "") or self.tracks["standard"]

    def officials_of(self, agency: str, role: Role, *, active_only: bool = True) -> list[Official]:
        """An agency's officials in a role, sorted by id."""
        return sorted(
            (
                o
                for o in self.officials
                if o.agency == agency and o.role == role and (o.active or not active_only)
            ),
            key=lambda o: o.id,
        )

    def agency_kind(self, code: str | None) -> AgencyKind | None:
        """The kind of an agency, or None when unknown."""
        agency = self.agencies_by_code.get(code or "")
        return agency.kind if agency else None

    def agency_name(self, code: str | None) -> str | None:
        """The name of an agency, or None when unknown."""
        agency = self.agencies_by_code.get(code or "")
        return agency.name if agency else None

    def problems(self) -> list[str]:
        """Every cross-reference and format problem, each naming its entry."""
        found: list[str] = []
        found += _duplicates("agencies", (a.code for a in self.agencies), "code")
        found += _duplicates("officials", (o.id for o in self.officials), "id")
        found += _duplicates("categories", (c.code for c in self.categories), "code")
        agencies = self.agencies_by_code
        officials = self.officials_by_id

        for i, agency in enumerate(self.agencies):
            where = f"agencies[{i}] ({agency.code})"
            if not _AGENCY_CODE.match(agency.code):
                found.append(f"{where}: code must be upper-case letters, digits and '-'")
            if agency.supervisor is not None:
                sup = officials.get(agency.supervisor)
                if sup is None:
                    found.append(f"{where}: supervisor '{agency.supervisor}' is not an official")
                elif sup.role != Role.SUPERVISOR or sup.agency != agency.code:
                    found.append(
                        f"{where}: supervisor '{agency.supervisor}' must be a supervisor of {agency.code}"
                    )

        for i, official in enumerate(self.officials):
            where = f"officials[{i}] ({official.id})"
            if not _OFFICIAL_ID.match(official.id):
                found.append(f"{where}: id must be lower-case letters, digits, '.', '_' or '-'")
            if official.agency not in agencies:
                found.append(f"{where}: unknown agency '{official.agency}'")
            if not is_valid_email(official.email):
                found.append(f"{where}: bad email '{official.email}'")
            if official.phone is not None and normalize_phone(official.phone) != official.phone:
                found.append(f"{where}: phone must be an Indonesian mobile number in E.164 (+628...)")

        admin = officials.get(self.national_admin)
        if admin is None:
            found.append(f"national_admin: '{self.national_admin}' is not an official")
        elif not admin.active:
            found.append(f"national_admin: '{self.national_admin}' is not active")

        if "standard" not in self.tracks:
            found.append("tracks: a 'standard' track is required")
        for name, track in self.tracks.items():
            for code in track.cc:
                if code not in agencies:
                    found.append(f"tracks.{name}: cc names unknown agency '{code}'")

        generic = [c.code for c in self.categories if c.generic]
        if len(generic) > 1:
            found.append(f"categories: at most one generic category, found {', '.join(generic)}")
        for i, category in enumerate(self.categories):
            where = f"categories[{i}] ({category.code})"
            if not _CATEGORY_CODE.match(category.code):
                found.append(f"{where}: code must be lower-case letters, digits, '_' or '-'")
            if category.generic:
                continue
            if category.agency is None:
                found.append(f"{where}: agency is required unless the category is generic")
            elif category.agency not in agencies:
                found.append(f"{where}: unknown agency '{category.agency}'")
            if category.track not in self.tracks:
                found.append(f"{where}: unknown track '{category.track}'")
            for prefix, code in category.regions.items():
                if not _REGION_PREFIX.match(prefix):
                    found.append(f"{where}: region '{prefix}' is not a BPS code such as 31 or 31.71")
                if code not in agencies:
                    found.append(f"{where}: region '{prefix}' names unknown agency '{code}'")
        return found


def _duplicates(section: str, keys: Iterable[str], what: str) -> list[str]:
    seen: set[str] = set()
    problems = []
    for i, key in enumerate(keys):
        if key in seen:
            problems.append(f"{section}[{i}]: duplicate {what} '{key}'")
        seen.add(key)
    return problems


def parse_directory(data: Any) -> Directory:
    """Validate an already-parsed directory document; raise DirectoryError naming every bad entry."""
    if not isinstance(data, dict):
        raise DirectoryError(["the document must be a mapping with national_admin, tracks, agencies..."])
    try:
        directory = Directory.model_validate(data)
    except ValidationError as error:
        raise DirectoryError([_describe(data, e) for e in error.errors()]) from None
    problems = directory.problems()
    if problems:
        raise DirectoryError(problems)
    return directory


def load_directory(text: str) -> Directory:
    """Parse and validate a YAML (or JSON) directory document."""
    import yaml  # deferred: only operators' loads and the directory cache miss need it

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise DirectoryError([f"not valid YAML: {error}"]) from None
    return parse_directory(data)


def _describe(data: dict[str, Any], error: Any) -> str:
    loc = list(error["loc"])
    where = ".".join(str(part) for part in loc)
    # Name list entries by their id/code as well as their position, so operators find them fast.
    if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(data.get(loc[0]), list):
        entry = data[loc[0]][loc[1]] if loc[1] < len(data[loc[0]]) else None
        if isinstance(entry, dict):
            label = entry.get("id") or entry.get("code")
            if label:
                where = f"{loc[0]}[{loc[1]}] ({label})" + "".join(f".{p}" for p in loc[2:])
    return f"{where}: {error['msg']}"
