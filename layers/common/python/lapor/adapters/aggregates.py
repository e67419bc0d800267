"""The aggregates table: accountability counters kept by the reports stream, read by statistics and jobs.

Layout (see ``lapor.adapters.schema``):

- ``STATS#<YYYY>`` / ``<YYYY-MM>#<agency>``: statistics counters of the reports created in a month;
  a month is a ``begins_with`` Query of its year's partition and a year is the whole partition, so a
  read costs one request per megabyte of counters, whatever the number of reports.
- ``EVAL#<YYYY-MM>`` / ``<official>``: evaluation counters of what happened in a month.
- ``TALLIED#<report id>`` / ``-``: the last report version counted, written in the same transaction
  as the counters it changed, so a re-delivered or replayed stream record counts once.
- ``EMAILED#<YYYY-MM>`` / ``<agency>#<official>``: evaluation emails sent, so a retried job sends once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from msgspec import Struct

from lapor.adapters.aws import all_items
from lapor.adapters.aws import client as aws_client

MARKER_SK = "-"
_MAX_TRANSACTION_ITEMS = 100


class StatsItem(Struct, frozen=True):
    """One agency's statistics counters for one month."""

    period: str
    agency: str
    counters: dict[str, int]


class OfficialItem(Struct, frozen=True):
    """One official's evaluation counters for one month, with the agency they were counted for."""

    official: str
    agency: str
    counters: dict[str, int]


def stats_key(period: str, agency: str) -> dict[str, Any]:
    """The key of an agency's statistics item for a month."""
    return {"pk": {"S": f"STATS#{period[:4]}"}, "sk": {"S": f"{period}#{agency}"}}


def evaluation_key(month: str, official: str) -> dict[str, Any]:
    """The key of an official's evaluation item for a month."""
    return {"pk": {"S": f"EVAL#{month}"}, "sk": {"S": official}}


def _marker_key(report_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"TALLIED#{report_id}"}, "sk": {"S": MARKER_SK}}


def _marker_update(table: str, report_id: str, version: int) -> dict[str, Any]:
    return {
        "TableName": table,
        "Key": _marker_key(report_id),
        "UpdateExpression": "SET version = :v",
        "ConditionExpression": "attribute_not_exists(version) OR version < :v",
        "ExpressionAttributeValues": {":v": {"N": str(version)}},
    }


class Change(Struct, frozen=True):
    """One report version's counter changes: statistics by (period, agency), evaluation by
    (month, official) with the agency the official acted for."""

    report_id: str
    version: int
    stats: Mapping[tuple[str, str], Mapping[str, int]]
    officials: Mapping[tuple[str, str], tuple[str, Mapping[str, int]]]


def _counters(item: Mapping[str, Any]) -> dict[str, int]:
    return {name: int(Decimal(value["N"])) for name, value in item.items() if "N" in value}


def _add_update(
    table: str, key: dict[str, Any], counters: Mapping[str, int], sets: Mapping[str, str] | None = None
) -> dict[str, Any]:
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    adds = []
    for i, (name, value) in enumerate(sorted(counters.items())):
        names[f"#c{i}"] = name
        values[f":c{i}"] = {"N": str(value)}
        adds.append(f"#c{i} :c{i}")
    expression = "ADD " + ", ".join(adds)
    if sets:
        assignments = []
        for i, (name, value) in enumerate(sorted(sets.items())):
            names[f"#s{i}"] = name
            values[f":s{i}"] = {"S": value}
            assignments.append(f"#s{i} = :s{i}")
        expression = "SET " + ", ".join(assignments) + " " + expression
    return {
        "TableName": table,
        "Key": key,
        "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


class AggregateStore:
    """Reads and writes the aggregates table; ``client`` defaults to the shared DynamoDB client."""

    def __init__(self, table: str, *, client: Any = None) -> None:
        self.table = table
        self._client = client

    @property
    def client(self) -> Any:
        """The DynamoDB client, created on first use."""
        if self._client is None:
            self._client = aws_client("dynamodb")
        return self._client

    # ---- the stream's writes ------------------------------------------------------------------

    def apply_change(
        self,
        report_id: str,
        version: int,
        *,
        stats: Mapping[tuple[str, str], Mapping[str, int]],
        officials: Mapping[tuple[str, str], tuple[str, Mapping[str, int]]],
    ) -> bool:
        """Add one report version's counter changes, once; False when that version was already counted.

        ``stats`` is keyed by (period, agency); ``officials`` by (month, official) with the agency the
        official acted for. The report's marker moves to ``version`` in the same transaction, on the
        condition that it is older, so a replayed record changes nothing.
        """
        items = [{"Update": _marker_update(self.table, report_id, version)}]
        items += self._counter_updates(stats, officials)
        if len(items) > _MAX_TRANSACTION_ITEMS:
            raise ValueError(f"one change touches {len(items)} aggregate items")
        try:
            self.client.transact_write_items(TransactItems=items)
        except self.client.exceptions.TransactionCanceledException as error:
            reasons = error.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                return False  # this version (or a later one) was counted already
            raise  # a conflict with a concurrent write: the stream retries the record
        return True

    def apply_changes(self, changes: Sequence[Change]) -> bool:
        """Add several reports' changes in one transaction (distinct reports, each once); False when any
        of them was counted before or the write conflicted, in which case nothing was written."""
        if len({change.report_id for change in changes}) != len(changes):
            raise ValueError("one transaction can count one change per report")
        stats: dict[tuple[str, str], dict[str, int]] = {}
        officials: dict[tuple[str, str], tuple[str, dict[str, int]]] = {}
        for change in changes:
            for key, counters in change.stats.items():
                merged = stats.setdefault(key, {})
                for name, value in counters.items():
                    merged[name] = merged.get(name, 0) + value
            for key, (agency, counters) in change.officials.items():
                merged = officials.setdefault(key, (agency, {}))[1]
                for name, value in counters.items():
                    merged[name] = merged.get(name, 0) + value
        items = [{"Update": _marker_update(self.table, c.report_id, c.version)} for c in changes]
        items += self._counter_updates(stats, officials)
        if len(items) > _MAX_TRANSACTION_ITEMS:
            return False
        try:
            self.client.transact_write_items(TransactItems=items)
        except self.client.exceptions.TransactionCanceledException:
            return False
        return True

    def _counter_updates(
        self,
        stats: Mapping[tuple[str, str], Mapping[str, int]],
        officials: Mapping[tuple[str, str], tuple[str, Mapping[str, int]]],
    ) -> list[dict[str, Any]]:
        items = []
        for (period, agency), counters in stats.items():
            counters = {n: v for n, v in counters.items() if v}
            if counters:
                items.append({"Update": _add_update(self.table, stats_key(period, agency), counters)})
        for (month, official), (agency, counters) in officials.items():
            counters = {n: v for n, v in counters.items() if v}
            if counters:
                key = evaluation_key(month, official)
                items.append({"Update": _add_update(self.table, key, counters, {"agency": agency})})
        return items

    # ---- reads -------------------------------------------------------------------------------------

    def stats(self, period: str) -> list[StatsItem]:
        """Every agency's counters of a month (``YYYY-MM``) or of each month of a year (``YYYY``)."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"STATS#{period[:4]}"}},
        }
        if len(period) == 7:
            kwargs["KeyConditionExpression"] += " AND begins_with(sk, :month)"
            kwargs["ExpressionAttributeValues"][":month"] = {"S": f"{period}#"}
        result = []
        for item in self._query_all(**kwargs):
            month, _, agency = item["sk"]["S"].partition("#")
            result.append(StatsItem(month, agency, _counters(item)))
        return result

    def evaluation(self, month: str) -> list[OfficialItem]:
        """Every official's evaluation counters of a month."""
        return [
            OfficialItem(item["sk"]["S"], item.get("agency", {}).get("S", ""), _counters(item))
            for item in self._query_all(
                TableName=self.table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": f"EVAL#{month}"}},
            )
        ]

    def _query_all(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        return all_items(self.client.query, **kwargs)

    # ---- rebuild -----------------------------------------------------------------------------------

    def stats_keys(self, year: str) -> list[tuple[str, str]]:
        """(period, agency) of every statistics item of a year."""
        return [
            tuple(item["sk"]["S"].partition("#")[::2])  # type: ignore[misc]
            for item in self._query_all(
                TableName=self.table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": f"STATS#{year}"}},
                ProjectionExpression="sk",
            )
        ]

    def replace_stats(self, items: Iterable[StatsItem], stale: Iterable[tuple[str, str]]) -> None:
        """Write recounted statistics items whole and delete the ``stale`` (period, agency) ones."""
        requests: list[dict[str, Any]] = []
        for item in items:
            values = {name: {"N": str(v)} for name, v in item.counters.items() if v}
            requests.append({"PutRequest": {"Item": {**stats_key(item.period, item.agency), **values}}})
        requests += [{"DeleteRequest": {"Key": stats_key(period, agency)}} for period, agency in stale]
        self._batch(requests)

    def mark_counted(self, versions: Mapping[str, int]) -> None:
        """Record, per report id, the version whose state the statistics now hold (after a rebuild)."""
        self._batch(
            [
                {"PutRequest": {"Item": {**_marker_key(report_id), "version": {"N": str(version)}}}}
                for report_id, version in versions.items()
            ]
        )

    def _batch(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), 25):
            pending = requests[start : start + 25]
            while pending:
                response = self.client.batch_write_item(RequestItems={self.table: pending})
                pending = response.get("UnprocessedItems", {}).get(self.table, [])

    # ---- evaluation emails -------------------------------------------------------------------------

    def claim_email(self, month: str, key: str) -> bool:
        """Claim the sending of one evaluation email; False when it was sent (or claimed) before."""
        try:
            self.client.put_item(
                TableName=self.table,
                Item={"pk": {"S": f"EMAILED#{month}"}, "sk": {"S": key}},
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release_email(self, month: str, key: str) -> None:
        """Drop a claim whose send failed, so a retry of the job sends it."""
        self.client.delete_item(TableName=self.table, Key={"pk": {"S": f"EMAILED#{month}"}, "sk": {"S": key}})
