"""The monthly evaluation of admins and liaison officers: figures per official and per agency.

The figures come from the evaluation counters the reports stream keeps (``lapor.app.tally``): what
happened in the month, attributed to the official responsible for the report at the time. The job
writes a CSV and a JSON per agency (and a national summary) to the data bucket and emails them, with
a chart, to each agency's admins and supervisor and to the national admin.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from msgspec import Struct, field
from msgspec.structs import asdict

from lapor.adapters.aggregates import AggregateStore
from lapor.adapters.bucket import DataBucket
from lapor.adapters.channels import SesEmailSender
from lapor.adapters.repository import ReportRepository
from lapor.app.jobs import JobResult, current_month, next_month, previous_month
from lapor.domain.directory import Directory, Role
from lapor.domain.messages import Attachment
from lapor.domain.provinces import province_name
from lapor.domain.tally import (
    ASSIGNED,
    CATEGORY,
    CATEGORY_FOLLOW_SECONDS,
    CATEGORY_FOLLOWED,
    ESCALATIONS_L1,
    ESCALATIONS_L2,
    FOLLOW_HOURS,
    FOLLOWED_LATE,
    FOLLOWED_ON_TIME,
    OPEN_DELTA,
    RATING_COUNT,
    RATING_SUM,
    REGION,
    REGION_FOLLOW_SECONDS,
    REGION_FOLLOWED,
    REOPENED,
    VERIFIED,
    VERIFIED_LATE,
    VERIFIED_ON_TIME,
    VERIFY_HOURS,
    add_counters,
    median_hours,
    share,
)

FIGURES = (
    "assigned",
    "verified",
    "verified_on_time_pct",
    "followed_up_on_time_pct",
    "median_hours_to_verify",
    "median_hours_to_follow_up",
    "escalations_l1",
    "escalations_l2",
    "reopened",
    "average_rating",
    "open_at_end",
)
EVALUATED_ROLES = (Role.LIAISON, Role.ADMIN)
TOP = 3  # entries in each "what to improve" list
NATIONAL = "NATIONAL"


def figures(counters: Mapping[str, int], open_at_end: int) -> dict[str, Any]:
    """An official's (or an agency's summed) figures from their evaluation counters."""
    ratings = counters.get(RATING_COUNT, 0)
    return {
        "assigned": counters.get(ASSIGNED, 0),
        "verified": counters.get(VERIFIED, 0),
        "verified_on_time_pct": share(counters.get(VERIFIED_ON_TIME, 0), counters.get(VERIFIED_LATE, 0)),
        "followed_up_on_time_pct": share(counters.get(FOLLOWED_ON_TIME, 0), counters.get(FOLLOWED_LATE, 0)),
        "median_hours_to_verify": median_hours(counters, VERIFY_HOURS),
        "median_hours_to_follow_up": median_hours(counters, FOLLOW_HOURS),
        "escalations_l1": counters.get(ESCALATIONS_L1, 0),
        "escalations_l2": counters.get(ESCALATIONS_L2, 0),
        "reopened": counters.get(REOPENED, 0),
        "average_rating": round(counters.get(RATING_SUM, 0) / ratings, 2) if ratings else None,
        "open_at_end": open_at_end,
    }


class OfficialEvaluation(Struct):
    """One official's row."""

    id: str
    name: str
    role: str
    figures: dict[str, Any]


class Improvement(Struct):
    """One category or region: its reports or mean follow-up hours, this month and the month before."""

    code: str
    name: str
    value: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        """This month minus the month before (None when either is unknown)."""
        if self.value is None or self.previous is None:
            return None
        return round(self.value - self.previous, 2)


class AgencyEvaluation(Struct):
    """An agency's officials, their sum, and where service can improve."""

    code: str
    name: str
    kind: str | None
    officials: list[OfficialEvaluation]
    totals: dict[str, Any]
    improve: dict[str, list[Improvement]] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        """Whether anything happened or is still open: only then is the agency emailed."""
        counted = ("assigned", "verified", "escalations_l1", "escalations_l2", "reopened", "open_at_end")
        return any(self.totals[name] for name in counted)

    def as_json(self, period: str) -> dict[str, Any]:
        """The JSON document stored beside the CSV."""
        return {
            "period": period,
            "agency": {"code": self.code, "name": self.name, "kind": self.kind},
            "officials": [asdict(o) for o in self.officials],
            "totals": self.totals,
            "improve": {
                key: [asdict(i) | {"change": i.change} for i in items] for key, items in self.improve.items()
            },
        }


class Evaluation(Struct):
    """A month's evaluation of every agency."""

    period: str
    agencies: list[AgencyEvaluation]


def evaluate(
    month: str, *, store: AggregateStore, reports: ReportRepository, directory: Directory, now: datetime
) -> Evaluation:
    """Every agency's evaluation for ``month``, read from the counters (O(officials), not reports)."""
    counted = {item.official: item for item in store.evaluation(month)}
    # Open reports at the end of the month: today's open counts minus what changed since.
    later: dict[str, int] = {}
    if month < current_month(now):
        cursor = next_month(month)
        while cursor <= current_month(now):
            for item in store.evaluation(cursor):
                later[item.official] = later.get(item.official, 0) + item.counters.get(OPEN_DELTA, 0)
            cursor = next_month(cursor)
    stats_now = _by_agency(store.stats(month))
    stats_before = _by_agency(store.stats(previous_month(month)))
    codes = sorted(
        {o.agency for o in directory.officials if o.role in EVALUATED_ROLES}
        | {item.agency for item in counted.values() if item.agency}
    )
    agencies = []
    for code in codes:
        loads = reports.loads(code)
        members = {
            o.id: o
            for o in directory.officials
            if o.agency == code and o.role in EVALUATED_ROLES and (o.active or o.id in counted)
        }
        ids = sorted(set(members) | {i.official for i in counted.values() if i.agency == code})
        rows, total_counters, total_open = [], {}, 0
        for official in ids:
            item = counted.get(official)
            counters = item.counters if item else {}
            open_at_end = max(0, loads.get(official, 0) - later.get(official, 0))
            person = directory.officials_by_id.get(official)
            rows.append(
                OfficialEvaluation(
                    id=official,
                    name=person.name if person else official,
                    role=person.role.value if person else "-",
                    figures=figures(counters, open_at_end),
                )
            )
            add_counters(total_counters, counters)
            total_open += open_at_end
        kind = directory.agency_kind(code)
        agencies.append(
            AgencyEvaluation(
                code=code,
                name=directory.agency_name(code) or code,
                kind=kind.value if kind else None,
                officials=rows,
                totals=figures(total_counters, total_open),
                improve=improvements(stats_now.get(code, {}), stats_before.get(code, {}), directory),
            )
        )
    return Evaluation(period=month, agencies=agencies)


def _by_agency(items: list[Any]) -> dict[str, dict[str, int]]:
    result: dict[str, dict[str, int]] = {}
    for item in items:
        add_counters(result.setdefault(item.agency, {}), item.counters)
    return result


def improvements(
    now: Mapping[str, int], before: Mapping[str, int], directory: Directory
) -> dict[str, list[Improvement]]:
    """The categories and regions with the most reports and the slowest first follow-up, vs last month."""
    category_name = {c.code: c.name for c in directory.categories}

    def counts(counters: Mapping[str, int], prefix: str) -> dict[str, float]:
        return {k[len(prefix) :]: float(v) for k, v in counters.items() if k.startswith(prefix) and v > 0}

    def mean_hours(counters: Mapping[str, int], seconds: str, followed: str) -> dict[str, float]:
        return {
            k[len(followed) :]: round(counters.get(seconds + k[len(followed) :], 0) / v / 3600, 2)
            for k, v in counters.items()
            if k.startswith(followed) and v > 0
        }

    def top(
        current: dict[str, float], previous: dict[str, float], name: Callable[[str], str]
    ) -> list[Improvement]:
        ranked = sorted(current.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
        return [Improvement(code, name(code), value, previous.get(code)) for code, value in ranked]

    def category(code: str) -> str:
        return category_name.get(code, code)

    return {
        "categories_most_reports": top(counts(now, CATEGORY), counts(before, CATEGORY), category),
        "categories_slowest_follow_up": top(
            mean_hours(now, CATEGORY_FOLLOW_SECONDS, CATEGORY_FOLLOWED),
            mean_hours(before, CATEGORY_FOLLOW_SECONDS, CATEGORY_FOLLOWED),
            category,
        ),
        "regions_most_reports": top(counts(now, REGION), counts(before, REGION), province_name),
        "regions_slowest_follow_up": top(
            mean_hours(now, REGION_FOLLOW_SECONDS, REGION_FOLLOWED),
            mean_hours(before, REGION_FOLLOW_SECONDS, REGION_FOLLOWED),
            province_name,
        ),
    }


# ---- files -----------------------------------------------------------------------------------------

CSV_COLUMNS = ("agency", "official_id", "name", "role", *FIGURES)


def agency_csv(agency: AgencyEvaluation) -> bytes:
    """One row per official and a last row ``role = total`` with the agency's sum."""
    rows = [
        {"agency": agency.code, "official_id": o.id, "name": o.name, "role": o.role, **o.figures}
        for o in agency.officials
    ]
    rows.append(
        {"agency": agency.code, "official_id": "", "name": agency.name, "role": "total", **agency.totals}
    )
    return _csv(rows)


def national_csv(evaluation: Evaluation) -> bytes:
    """One row per agency with its summed figures."""
    return _csv(
        [
            {"agency": a.code, "official_id": "", "name": a.name, "role": "total", **a.totals}
            for a in evaluation.agencies
        ]
    )


def _csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row[k] for k in CSV_COLUMNS})
    return out.getvalue().encode("utf-8")


def evaluation_keys(month: str, name: str) -> tuple[str, str]:
    """The data bucket's keys of an agency's (or the national) CSV and JSON."""
    return f"evaluations/{month}/{name}.csv", f"evaluations/{month}/{name}.json"


# ---- the job ---------------------------------------------------------------------------------------


class Mailer(Struct, frozen=True):
    """How the job sends: the SES sender and the store that remembers what was sent."""

    sender: SesEmailSender
    store: AggregateStore


def run_evaluation(
    month: str,
    *,
    store: AggregateStore,
    reports: ReportRepository,
    directory: Directory,
    bucket: DataBucket,
    mailer: Mailer | None,
    now: datetime,
) -> JobResult:
    """Evaluate ``month``, store the CSV and JSON files, and email each agency and the national admin."""
    from lapor.app.evaluation_chart import agency_chart, national_chart  # matplotlib: this job only
    from lapor.app.evaluation_email import agency_email, national_email

    evaluation = evaluate(month, store=store, reports=reports, directory=directory, now=now)
    result = JobResult(bucket=bucket.name)
    for agency in evaluation.agencies:
        csv_key, json_key = evaluation_keys(month, agency.code)
        table = agency_csv(agency)
        result.keys.append(bucket.put(csv_key, table, "text/csv; charset=utf-8"))
        document = json.dumps(agency.as_json(month), ensure_ascii=False, indent=2).encode()
        result.keys.append(bucket.put(json_key, document, "application/json"))
        if mailer is None or not agency.active:
            continue
        files = (
            Attachment(f"evaluasi-{agency.code}-{month}.png", "image/png", agency_chart(agency, month)),
            Attachment(f"evaluasi-{agency.code}-{month}.csv", "text/csv", table),
        )
        recipients = [o for o in directory.officials_of(agency.code, Role.ADMIN)]
        listed = directory.agencies_by_code.get(agency.code)
        supervisor = directory.officials_by_id.get(listed.supervisor or "") if listed else None
        if supervisor and supervisor.active:
            recipients.append(supervisor)
        for person in recipients:
            result.emails += _send(
                mailer, month, f"{agency.code}#{person.id}", person.email, agency_email(agency, month), files
            )
    csv_key, json_key = evaluation_keys(month, NATIONAL)
    table = national_csv(evaluation)
    result.keys.append(bucket.put(csv_key, table, "text/csv; charset=utf-8"))
    document = {"period": month, "agencies": [a.as_json(month) for a in evaluation.agencies]}
    result.keys.append(
        bucket.put(json_key, json.dumps(document, ensure_ascii=False).encode(), "application/json")
    )
    admin = directory.officials_by_id.get(directory.national_admin)
    if mailer is not None and admin is not None:
        files = (
            Attachment(f"evaluasi-nasional-{month}.png", "image/png", national_chart(evaluation)),
            Attachment(f"evaluasi-nasional-{month}.csv", "text/csv", table),
        )
        result.emails += _send(
            mailer, month, f"{NATIONAL}#{admin.id}", admin.email, national_email(evaluation), files
        )
    return result


def _send(
    mailer: Mailer, month: str, key: str, address: str, email: Any, files: tuple[Attachment, ...]
) -> int:
    # One claim per recipient and month: a job retried after a partial run sends only what is missing.
    if not mailer.store.claim_email(month, key):
        return 0
    try:
        mailer.sender.send_with_attachments([address], email, files)
    except Exception:
        mailer.store.release_email(month, key)
        raise
    return 1
