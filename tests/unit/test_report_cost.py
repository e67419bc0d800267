"""The cost benchmark's write-unit arithmetic (bench.report_cost.UsageMeter)."""

from __future__ import annotations

from bench.report_cost import UsageMeter


def meter() -> UsageMeter:
    # A table with one index projecting the whole item and one projecting keys only
    return UsageMeter({"reports": [(("period", "period_sk"), True), (("wk", "wo"), False)]})


def put(size_bytes: int, **keys: str) -> dict:
    item = {
        "pk": {"S": "REPORT#1"},
        "sk": {"S": "EVENT#2026-12-02#01"},
        "blob": {"S": "x" * (size_bytes - 33)},
    }
    return {"TableName": "reports", "Item": item | {k: {"S": v} for k, v in keys.items()}}


def test_a_transactional_put_is_charged_per_kilobyte_twice_with_each_index_that_holds_it():
    usage = meter()
    usage.phase = "submit"
    # When a 2.5 KB item carrying the keys of both indexes is written in a transaction
    usage.count(
        "dynamodb",
        "TransactWriteItems",
        {"TransactItems": [{"Put": put(2500, period="2026-12", period_sk="A#1", wk="K", wo="1")}]},
        {},
    )
    # Then the table (by the item's kind) and the whole-item index are charged 3 units each, the keys-only index 1, all doubled
    assert usage.units[("submit", "write")] == 6 + 6 + 2
    assert usage.write_units_by_table == {
        "reports EVENT": 6,
        "reports index period/period_sk": 6,
        "reports index wk/wo": 2,
    }


def test_an_item_outside_the_indexes_and_a_reset_meter():
    usage = meter()
    usage.phase = "notify"
    # When a plain put of a small item without index keys is counted, then the meter is reset
    usage.count("dynamodb", "PutItem", put(300), {})
    assert usage.units[("notify", "write")] == 1 and usage.write_units_by_table == {"reports EVENT": 1}
    usage.reset()
    # Then nothing is left of it
    assert not usage.units and not usage.write_units_by_table and not usage.requests
    # ... and counters, keyed by a status or an official rather than a kind, are summed as one
    for status in ("dispatched", "verified"):
        usage.count(
            "dynamodb",
            "UpdateItem",
            {"TableName": "reports", "Key": {"pk": {"S": "W#A"}, "sk": {"S": status}}},
            {},
        )
    assert usage.write_units_by_table == {"reports counters": 2}
