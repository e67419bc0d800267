"""What 1,000 reports cost through their whole life, by service, at Jakarta's published prices.

The dynamodb_requests benchmark takes reports from submission to closed through the real handlers
and meters, on the way, every request the functions' code sends (``UsageMeter``) and every
invocation with its duration. This module multiplies those counts with ``bench.prices.PRICES``:

- DynamoDB: request units from each request's items (on-demand rules: writes per 1 KB, doubled in
  transactions, an update, delete or condition check sized by the larger of the item before and
  after it, which the meter reads on a client of its own; each global secondary index that holds
  the item is written too, per 1 KB of what it projects: the whole item for ALL, one unit for
  KEYS_ONLY and INCLUDE when the item enters or leaves it, two when its keys change; reads per 4 KB,
  halved when eventually consistent). Stream reads by Lambda are free.
- Lambda: invocations and GB-seconds (memory from the function specs); durations are in-process
  moto's, which are slower than DynamoDB's, so the figure is an upper bound.
- API Gateway and WAF: one request per API call. SQS: the functions' requests, plus one receive and
  one delete per batch the Lambda poller hands over. KMS: none per report (data keys are cached by
  DynamoDB and by SQS for 15 minutes), shown as such.
- SES and SMS (messages) are shown apart; an SMS costs one price per 153-character part.

Fixed monthly costs (WAF's web ACL and rules, alarms, the dashboard, idle SQS long polling, logs)
are not per report and are listed in docs/operations.md.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from bench.figures import Figure
from bench.prices import PRICES

NAME = "report_cost"
TARGET_PER_THOUSAND_USD = 0.10
ENTRY_MODULES = {
    "intake_app": "intake",
    "route_app": "route",
    "notify_app": "notify",
    "sla_check_app": "sla_check",
    "tally_app": "tally",
}
KB = 1024


def attribute_size(value: dict[str, Any]) -> int:
    """DynamoDB's size of one attribute value (approximately, per the developer guide's rules)."""
    ((kind, data),) = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        return (len(data.strip("-").replace(".", "")) + 1) // 2 + 1
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(attribute_size(v) + 1 for v in data)
    if kind == "M":
        return 3 + sum(len(k.encode()) + attribute_size(v) + 1 for k, v in data.items())
    return sum(len(str(v)) for v in data)  # sets


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


class UsageMeter:
    """Counts the requests of Lapor's functions (not the bench's own, nor Lambda's pollers) and units."""

    def __init__(self, indexes: dict[str, list[tuple[tuple[str, ...], bool]]]) -> None:
        self.indexes = indexes  # table name -> (key attributes, projects the whole item) of each GSI
        self.phase = "setup"
        self.reset()

    def reset(self) -> None:
        """Forget everything counted so far (after a warm-up)."""
        self.requests: Counter[tuple[str, str, str]] = Counter()  # (phase, service, operation)
        self.units: Counter[tuple[str, str]] = Counter()  # (phase, "read"|"write")
        self.write_units_by_table: Counter[str] = Counter()  # table (and index) name -> write units
        self.invocations: Counter[tuple[str, str]] = Counter()  # (phase, function)
        self.seconds: defaultdict[tuple[str, str], float] = defaultdict(float)

    def install(self) -> None:
        """Meter every botocore request made with an entry module on the stack."""
        import boto3
        from botocore.client import BaseClient

        real = BaseClient._make_api_call
        meter = self

        readers: dict[tuple[str, str], BaseClient] = {}

        def stored(client: BaseClient, table: str, key: dict[str, Any]) -> dict[str, Any]:
            # The bench's own read, on a client of its own so that nothing counts it: the item as
            # it is now ({} when there is none).
            where = (client.meta.region_name, client.meta.endpoint_url)
            if where not in readers:
                readers[where] = boto3.session.Session().client(
                    "dynamodb", region_name=where[0], endpoint_url=where[1]
                )
            found = real(readers[where], "GetItem", {"TableName": table, "Key": key, "ConsistentRead": True})
            return found.get("Item") or {}

        def metered(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            service = client.meta.service_model.service_name
            counted = meter.phase != "setup" and meter._from_function()
            # An update, delete or condition check is charged by the item's size before or after
            # it, whichever is larger, which the request does not carry: read both.
            changed = _changed_items(operation, params) if counted and service == "dynamodb" else []
            before = [stored(client, table, key) for table, key in changed]
            response = real(client, operation, params)
            if counted:
                after = [stored(client, table, key) for table, key in changed]
                images = {
                    _ref(t, k): pair
                    for (t, k), pair in zip(changed, zip(before, after, strict=True), strict=True)
                }
                meter.count(service, operation, params, response, images=images)
            return response

        BaseClient._make_api_call = metered  # type: ignore[method-assign]

    @staticmethod
    def _from_function() -> bool:
        frame = sys._getframe(2)  # the caller of BaseClient._make_api_call
        while frame is not None:
            if frame.f_globals.get("__name__") in ENTRY_MODULES:
                return True
            frame = frame.f_back
        return False

    def wrap(self, function: str, handler: Callable[..., Any]) -> Callable[..., Any]:
        """``handler`` counted as invocations of ``function``, with their wall time."""

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return handler(*args, **kwargs)
            finally:
                self.invocations[(self.phase, function)] += 1
                self.seconds[(self.phase, function)] += time.perf_counter() - started

        return timed

    def count(
        self,
        service: str,
        operation: str,
        params: dict[str, Any],
        response: dict[str, Any],
        *,
        images: Mapping[str, tuple[dict[str, Any], dict[str, Any]]] | None = None,
    ) -> None:
        """Count one request and its units; ``images`` are the items an update, delete or condition
        check touched, before and after it (by ``_ref``), without which such a write counts 1 unit."""
        self.requests[(self.phase, service, operation)] += 1
        if service != "dynamodb":
            return
        images = images or {}
        if operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                ((kind, body),) = entry.items()
                self.units[(self.phase, "write")] += self._write_units(body, kind, images, transactional=True)
        elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
            self.units[(self.phase, "write")] += self._write_units(
                params, operation.removesuffix("Item"), images
            )
        elif operation == "GetItem":
            size = item_size(response.get("Item") or {})
            self.units[(self.phase, "read")] += self._read_units(size, params.get("ConsistentRead", False))
        elif operation == "Query":
            size = sum(item_size(item) for item in response.get("Items", []))
            self.units[(self.phase, "read")] += self._read_units(size, params.get("ConsistentRead", False))

    def _write_units(
        self,
        body: dict[str, Any],
        kind: str,
        images: Mapping[str, tuple[dict[str, Any], dict[str, Any]]],
        *,
        transactional: bool = False,
    ) -> int:
        factor = 2 if transactional else 1
        if kind == "Put":
            before, after = {}, body["Item"]
        else:
            before, after = images.get(_ref(body["TableName"], body["Key"]), ({}, {}))
        size_units = max(1, math.ceil(max(item_size(before), item_size(after)) / KB))
        units = size_units * factor
        # Items of one table are told apart by their sort key's prefix (REPORT, EVENT, SENT, ...);
        # counters are keyed by a status, month or official instead, and are summed as one kind.
        key = body.get("Item") or body.get("Key") or {}
        prefix = key.get("sk", {}).get("S", "").split("#", 1)[0]
        kind_of_item = prefix if prefix.isupper() or not prefix else "counters"
        self.write_units_by_table[f"{body['TableName']} {kind_of_item}".strip()] += units
        if kind == "ConditionCheck":
            return units  # a check writes no index
        for keys, whole_item in self.indexes.get(body["TableName"], []):
            index_units = _index_writes(keys, whole_item, before, after) * factor
            if index_units:
                self.write_units_by_table[f"{body['TableName']} index {'/'.join(keys)}"] += index_units
                units += index_units
        return units

    @staticmethod
    def _read_units(size: int, consistent: bool) -> float:
        units = max(1, math.ceil(size / (4 * KB)))
        return units if consistent else units / 2


def _ref(table: str, key: dict[str, Any]) -> str:
    return f"{table} {json.dumps(key, sort_keys=True)}"


def _changed_items(operation: str, params: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(table, key) of each item a write request updates, deletes or checks."""
    if operation in ("UpdateItem", "DeleteItem"):
        return [(params["TableName"], params["Key"])]
    if operation == "TransactWriteItems":
        return [
            (body["TableName"], body["Key"])
            for entry in params["TransactItems"]
            for kind, body in entry.items()
            if kind in ("Update", "Delete", "ConditionCheck")
        ]
    return []


def _index_writes(
    keys: tuple[str, ...],
    whole_item: bool,
    before: dict[str, Any],
    after: dict[str, Any],
) -> int:
    """Write units an index takes when an item goes from ``before`` to ``after`` ({} = absent).

    An index holds an item that has all of its key attributes. One projecting the whole item is
    rewritten whenever the item changes, per kilobyte; a keys-only or include index is written once
    when the item enters or leaves it and twice when its keys change (a delete and a put), and not
    at all otherwise (Lapor's included attributes change with its keys).
    """
    held_before, held_after = (bool(item) and all(k in item for k in keys) for item in (before, after))
    if not (held_before or held_after) or before == after:
        return 0
    if whole_item:
        held = [item for item, held in ((before, held_before), (after, held_after)) if held]
        return max(1, math.ceil(max(item_size(item) for item in held) / KB))
    if held_before and held_after:
        return 2 if any(before[k] != after[k] for k in keys) else 0
    return 1


def memory_by_function() -> dict[str, int]:
    """Each function's memory (MB) as the stack deploys it (infra/lapor_infra/constants.py)."""
    from bench.environment import ROOT

    if str(ROOT / "infra") not in sys.path:
        sys.path.insert(0, str(ROOT / "infra"))
    from lapor_infra import constants as c

    return {spec.name: spec.memory_mb for spec in c.ALL_FUNCTIONS}


def sms_parts(text: str) -> int:
    """Message parts an SMS is billed as: one up to 160 GSM characters, else 153 per part."""
    limit = 160 if text.isascii() else 70
    if len(text) <= limit:
        return 1
    return math.ceil(len(text) / (153 if text.isascii() else 67))


def cost_figures(
    meter: UsageMeter,
    reports: int,
    *,
    memory_mb: dict[str, int],
    api_calls: int,
    emails: int,
    sms: list[str],
) -> list[Figure]:
    """Cost of 1,000 reports by service, the total against the target, and messages apart."""
    phases = lambda: {p for (p, *_rest) in meter.requests} | {p for p, _ in meter.invocations}  # noqa: E731
    assert phases(), "nothing was metered"
    per = 1000 / reports
    writes = sum(n for (_, kind), n in meter.units.items() if kind == "write")
    reads = sum(n for (_, kind), n in meter.units.items() if kind == "read")
    invocations = sum(meter.invocations.values())
    gb_seconds = sum(seconds * memory_mb[fn] / 1024 for (_, fn), seconds in meter.seconds.items())
    sqs_requests = sum(n for (_, service, _op), n in meter.requests.items() if service == "sqs")
    notify_batches = sum(n for (_, fn), n in meter.invocations.items() if fn == "notify")
    sqs_requests += 2 * notify_batches  # the poller's ReceiveMessage and DeleteMessageBatch per batch
    by_service = {
        "DynamoDB": writes * PRICES.dynamodb_write_request_unit + reads * PRICES.dynamodb_read_request_unit,
        "Lambda": invocations * PRICES.lambda_request + gb_seconds * PRICES.lambda_gb_second_arm64,
        "API Gateway": api_calls * PRICES.api_gateway_rest_request,
        "WAF": api_calls * PRICES.waf_request,
        "SQS": sqs_requests * PRICES.sqs_request,
        "KMS": 0.0,
    }
    details = {
        "DynamoDB": f"{writes * per:,.0f} write units, {reads * per:,.0f} read units; writes by table and index: "
        + ", ".join(f"{name} {n * per:,.0f}" for name, n in meter.write_units_by_table.most_common()),
        "Lambda": f"{invocations * per:,.0f} invocations, {gb_seconds * per:,.0f} GB-s (in-process moto: an upper bound)",
        "API Gateway": f"{api_calls * per:,.0f} REST requests",
        "WAF": f"{api_calls * per:,.0f} requests inspected",
        "SQS": f"{sqs_requests * per:,.0f} requests (functions' own, plus the poller's receive and delete per batch)",
        "KMS": "no request per report: DynamoDB caches its table key, SQS reuses data keys for 15 minutes",
    }
    total = sum(by_service.values()) * per
    parts = sum(sms_parts(text) for text in sms)
    figures = [
        Figure(
            NAME,
            f"cost of 1,000 reports through their whole life (prices of {PRICES.as_of}, {PRICES.region})",
            total,
            "USD",
            target=TARGET_PER_THOUSAND_USD,
            note="messages (SES, SMS) excluded, shown below; fixed monthly costs are not per report",
            detail={
                "by_service_usd": {k: round(v * per, 5) for k, v in by_service.items()},
                "reports": reports,
            },
        )
    ]
    for service, cost in by_service.items():
        figures.append(Figure(NAME, f"  {service}", cost * per, "USD", note=details[service]))
    figures += [
        Figure(
            NAME,
            "  messages apart: SES email",
            emails * per * PRICES.ses_email,
            "USD",
            note=f"{emails * per:,.0f} emails",
        ),
        Figure(
            NAME,
            "  messages apart: SMS to Indonesia",
            parts * per * PRICES.sms_indonesia_per_part_usd,
            "USD",
            note=f"{len(sms) * per:,.0f} SMS in {parts * per:,.0f} parts at {PRICES.sms_indonesia_per_part_usd} USD a part",
        ),
    ]
    return figures
