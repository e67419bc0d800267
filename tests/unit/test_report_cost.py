"""The cost benchmark's write-unit arithmetic (bench.report_cost.UsageMeter)."""

from __future__ import annotations

import json

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


def stored(size_bytes: int, **keys: str) -> dict:
    return put(size_bytes, **keys)["Item"]


def images(before: dict, after: dict) -> dict:
    key = {"pk": before.get("pk") or after["pk"], "sk": before.get("sk") or after["sk"]}
    return {"ref": key, "images": {f"reports {json.dumps(key, sort_keys=True)}": (before, after)}}


def test_an_update_is_charged_by_the_larger_image_and_rewrites_the_indexes_that_hold_it():
    usage = meter()
    usage.phase = "act"
    # When a transaction updates a 2.5 KB item (2.2 KB before) that both indexes hold, without
    # touching the keys-only index's keys
    before = stored(2200, period="2026-12", period_sk="A#1", wk="K", wo="1")
    after = stored(2500, period="2026-12", period_sk="A#1", wk="K", wo="1")
    touched = images(before, after)
    update = {"Update": {"TableName": "reports", "Key": touched["ref"], "UpdateExpression": "SET blob = :b"}}
    usage.count("dynamodb", "TransactWriteItems", {"TransactItems": [update]}, {}, images=touched["images"])
    # Then the item and the whole-item index are charged 3 units each, doubled; the keys-only index nothing
    assert usage.write_units_by_table == {"reports EVENT": 6, "reports index period/period_sk": 6}


def test_keys_only_index_writes_follow_its_keys():
    usage = meter()
    usage.phase = "act"
    # When one update moves an item's keys-only index key, and another brings an item into that index
    moved = images(stored(300, wk="K", wo="1"), stored(300, wk="K", wo="2"))
    entered = images(stored(300), stored(300, wk="K", wo="1"))
    for touched in (moved, entered):
        params = {"TableName": "reports", "Key": touched["ref"], "UpdateExpression": "SET wo = :o"}
        usage.count("dynamodb", "UpdateItem", params, {}, images=touched["images"])
    # Then the move is a delete and a put in the index (2), the entry one put (1)
    assert usage.write_units_by_table == {"reports EVENT": 2, "reports index wk/wo": 3}


def test_a_delete_is_charged_by_the_item_it_removes():
    usage = meter()
    usage.phase = "erase"
    # When a 1.5 KB item that both indexes hold is deleted
    gone = images(stored(1500, period="2026-12", period_sk="A#1", wk="K", wo="1"), {})
    usage.count(
        "dynamodb", "DeleteItem", {"TableName": "reports", "Key": gone["ref"]}, {}, images=gone["images"]
    )
    # Then the item and the whole-item index are charged by its size, the keys-only index once
    assert usage.write_units_by_table == {
        "reports EVENT": 2,
        "reports index period/period_sk": 2,
        "reports index wk/wo": 1,
    }
