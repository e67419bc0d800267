"""Reports driven through random legal lifecycles with the real workflow, dispatch and SLA code, in memory.

Every write goes through ``MemoryReports.save`` (the repository's contract: version + 1, outbox
replaced), which records the (old, new) pair a DynamoDB stream would carry; ``stream_record`` shapes
a pair the way Lambda delivers it to the tally, with the images in the table's real item shape.
The brute-force ``recount`` is deliberately naive: it reads every report and counts.
"""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lapor.adapters.repository import ReportRepository, report_pk
from lapor.app import sla, workflow
from lapor.app.dispatch import dispatch_report
from lapor.domain.directory import Directory, Role
from lapor.domain.errors import LaporError
from lapor.domain.ids import hash_receipt, new_report_id
from lapor.domain.lifecycle import Status, TransitionNotAllowed
from lapor.domain.models import ActionRequest, FeedbackRequest, Report, Reporter, ReportKind
from lapor.domain.roles import caller_of
from lapor.domain.tally import percentages
from lapor.domain.workdays import WIB

RECEIPT = "simulated-receipt"
TEXTS = (
    ("Puskesmas tutup di jam layanan", "Puskesmas kecamatan tutup pada Senin pagi tanpa pemberitahuan."),
    ("Jalan rusak di depan sekolah", "Jalan rusak berat dan berlubang di depan sekolah dasar negeri."),
    ("Pantai wisata kotor sekali", "Tempat wisata pantai penuh sampah dan tidak ada petugas kebersihan."),
    ("Usulan taman bermain anak", "Mohon dibangun taman bermain anak di dekat kantor kelurahan kami."),
)
REGIONS = ("31.71", "32.73", "35.78", "11", None)
FORWARD_TO = ("KEMENKES", "DINKES-DKI", "KEMENPU", "KEMENPAR")


@dataclass
class MemoryReports:
    """The slice of ReportRepository the workflow, dispatch and SLA code use, in memory."""

    items: dict[str, Report] = field(default_factory=dict)
    open_loads: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    changes: list[tuple[Report | None, Report]] = field(default_factory=list)

    def get(self, report_id: str, *, consistent: bool = True) -> Report | None:
        return self.items.get(report_id)

    def loads(self, agency: str) -> dict[str, int]:
        return {official: n for (a, official), n in self.open_loads.items() if a == agency}

    def has_feedback_token(self, report_id: str, token_hash: str) -> bool:
        return False  # the simulation proves ownership with the receipt

    def save(self, report: Report, *, expected_version: int | None, events: Any = (), load_changes: Any = None,
             outbox: Any = (), idempotency: Any = None, **_: Any) -> Report:  # fmt: skip
        before = self.items.get(report.id)
        assert (before.version if before else None) == expected_version, "simulation writes are sequential"
        stored = report.model_copy(
            update={
                "version": report.version + 1 if expected_version is not None else 1,
                "outbox": list(outbox),
            }
        )
        for key, delta in (load_changes or {}).items():
            self.open_loads[key] += delta
        self.items[stored.id] = stored
        self.changes.append((before, stored))
        return stored


def simulate(count: int, directory: Directory, seed: int, *, start: datetime, days: int) -> MemoryReports:
    """``count`` reports filed over ``days`` from ``start``, each then moved at random until it stops."""
    rng = random.Random(seed)
    memory = MemoryReports()
    for _ in range(count):
        created = start + timedelta(seconds=rng.randrange(days * 86_400))
        title, description = rng.choice(TEXTS)
        report = Report(
            id=new_report_id(),
            kind=rng.choice(list(ReportKind)),
            status=Status.RECEIVED,
            title=title,
            description=description,
            region=rng.choice(REGIONS),
            reporter=Reporter(email="warga@example.com"),
            receipt_hash=hash_receipt(RECEIPT),
            created_at=created,
            updated_at=created,
        )
        report = memory.save(report, expected_version=None)
        if rng.random() < 0.03:
            continue  # not routed yet: counts nowhere
        now = created + timedelta(minutes=rng.randrange(1, 30))
        dispatch_report(report, reports=memory, directory=directory, now=now)  # type: ignore[arg-type]
        for _ in range(rng.randrange(0, 6)):
            now += timedelta(hours=rng.randrange(1, 240))
            _random_step(memory, memory.items[report.id], directory, now, rng)
    # A stream carries changes in the order they were made (each report's in its own order).
    memory.changes.sort(key=lambda change: change[1].updated_at)
    return memory


def _actor(report: Report, directory: Directory) -> Any:
    """Who may make every move on the report: the national admin for its triage, else an agency admin."""
    if report.assignee == directory.national_admin:
        return caller_of(directory.national_admin, directory)
    admins = directory.officials_of(report.agency or "", Role.ADMIN)
    return caller_of(admins[0].id if admins else directory.national_admin, directory)


def _random_step(
    memory: MemoryReports,
    report: Report,
    directory: Directory,
    now: datetime,
    rng: random.Random,
) -> None:
    moves: dict[Status, Sequence[str]] = {
        Status.DISPATCHED: ("verify", "verify", "forward", "reject", "sla"),
        Status.VERIFIED: ("respond", "complete", "reject", "forward", "sla"),
        Status.IN_PROGRESS: ("respond", "complete", "complete", "sla"),
        Status.COMPLETED: ("accept", "reopen", "sla"),
    }
    choices = moves.get(report.status)
    if not choices:
        return
    move = rng.choice(choices)
    try:
        if move == "sla":
            sla._check(
                report.id, reports=memory, directory=directory, now=now, summary=sla.SlaSummary(now="")
            )  # type: ignore[arg-type]
        elif move in ("accept", "reopen"):
            rating = rng.choice((None, 1, 2, 3, 4, 5))
            request = FeedbackRequest(receipt=RECEIPT, action=move, rating=rating, comment="Belum selesai")
            workflow.feedback(report.id, request, reports=memory, directory=directory, now=now)  # type: ignore[arg-type]
        else:
            extra = (
                {"to_agency": rng.choice([a for a in FORWARD_TO if a != report.agency])}
                if move == "forward"
                else {}
            )
            request = ActionRequest(action=move, note="Catatan petugas", **extra)
            caller = _actor(report, directory)
            workflow.act(report.id, request, caller, reports=memory, directory=directory, now=now)  # type: ignore[arg-type]
    except (LaporError, TransitionNotAllowed):
        pass  # e.g. a reopen after its window: the report simply stays


def stream_record(old: Report | None, new: Report, sequence: int) -> dict[str, Any]:
    """A DynamoDB stream record as Lambda delivers it to the tally (NEW_AND_OLD_IMAGES)."""
    shaper = ReportRepository("reports", "directory", due_shards=8, client=object())
    dynamodb: dict[str, Any] = {
        "Keys": {"pk": {"S": report_pk(new.id)}, "sk": {"S": "REPORT"}},
        "NewImage": shaper._report_item(new),
        "SequenceNumber": f"{sequence:021d}",
        "SizeBytes": 1000,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
        "ApproximateCreationDateTime": new.updated_at.timestamp(),
    }
    if old is not None:
        dynamodb["OldImage"] = shaper._report_item(old)
    return {
        "eventID": f"e{sequence}",
        "eventName": "MODIFY" if old is not None else "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "ap-southeast-3",
        "eventSourceARN": "arn:aws:dynamodb:ap-southeast-3:123456789012:table/reports/stream/1",
        "dynamodb": dynamodb,
    }


def with_replays(
    records: list[dict[str, Any]], rng: random.Random, share: float = 0.2
) -> list[dict[str, Any]]:
    """The records in order, with ``share`` of them delivered again later: at once or after later ones.

    As a stream does, every record is first delivered after the ones before it (per report order).
    """
    delivered = list(records)
    for index, record in enumerate(records):
        if rng.random() < share:
            first = delivered.index(record, index)
            delivered.insert(rng.randrange(first + 1, min(len(delivered), first + 200) + 1), record)
    return delivered


# ---- the brute-force recount ---------------------------------------------------------------------

BUCKET_OF = {
    "received": "unverified",
    "dispatched": "unverified",
    "verified": "not_followed_up",
    "in_progress": "in_process",
    "completed": "completed",
    "closed": "completed",
}


def _month(instant: datetime) -> str:
    return instant.astimezone(WIB).strftime("%Y-%m")


def recount(reports: Iterable[Report], period: str, kind_of: Mapping[str, str | None]) -> dict[str, Any]:
    """Rows per agency, totals and per-kind figures of ``period`` (month or year), counted one report at a time."""
    groups: dict[str, list[Report]] = defaultdict(list)
    for report in reports:
        if report.agency and _month(report.created_at).startswith(period):
            groups[report.agency].append(report)
    rows = {agency: figures(items) for agency, items in groups.items()}
    every = [r for items in groups.values() for r in items]
    by_kind = {
        kind: figures([r for agency, items in groups.items() if kind_of.get(agency) == kind for r in items])
        for kind in ("kementerian", "lembaga", "pemda", "bumn")
    }
    return {"agencies": rows, "totals": figures(every), "by_kind": by_kind}


def figures(reports: list[Report]) -> dict[str, Any]:
    counts = dict.fromkeys(("unverified", "not_followed_up", "in_process", "completed"), 0)
    rejected = 0
    for report in reports:
        bucket = BUCKET_OF.get(report.status.value)
        if bucket is None:
            rejected += 1
        else:
            counts[bucket] += 1
    verified = [r.verified_on_time for r in reports if r.verified_on_time is not None]
    followed = [r.followed_up_on_time for r in reports if r.followed_up_on_time is not None]
    to_verify = [
        (r.verified_at - r.dispatched_at).total_seconds() / 3600
        for r in reports
        if r.verified_at and r.dispatched_at and r.verified_at >= r.dispatched_at
    ]
    to_follow = [
        (r.followed_up_at - r.verified_at).total_seconds() / 3600
        for r in reports
        if r.followed_up_at and r.verified_at and r.followed_up_at >= r.verified_at
    ]
    return {
        "total": len(reports),
        **counts,
        "rejected": rejected,
        "percent": percentages(counts),
        "verified_on_time_pct": round(100 * sum(verified) / len(verified), 1) if verified else None,
        "followed_up_on_time_pct": round(100 * sum(followed) / len(followed), 1) if followed else None,
        "median_hours_to_verify": statistics.median(to_verify) if to_verify else None,
        "median_hours_to_follow_up": statistics.median(to_follow) if to_follow else None,
    }
