"""The local stack's moto patches change moto's cost, never what a client receives."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from local.moto_patches import cached_action_lookup, partition_scoped_queries, plain_json_item_responses

REGION = "ap-southeast-3"
ITEM = {
    "pk": {"S": "REPORT#1"},
    "sk": {"S": "REPORT"},
    "count": {"N": "1.50"},
    "blob": {"B": b"\x00\x01\xff"},
    "blobs": {"BS": [b"a", b"b"]},
    "names": {"SS": ["a", "b"]},
    "numbers": {"NS": ["1", "2"]},
    "flag": {"BOOL": False},
    "nothing": {"NULL": True},
    "timeline": {
        "L": [{"M": {"at": {"S": "2026-11-29T05:00:00Z"}, "seq": {"N": str(i)}}} for i in range(30)]
    },
    "unicode": {"S": 'Jalan Ṁerdeka 🇮🇩 \u0000 "quoted"'},
}


def _conversation() -> list[Any]:
    """Every item operation the pipeline uses (and a failing one), answered by moto as boto3 sees them."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    streams = boto3.client("dynamodbstreams", region_name=REGION)
    dynamodb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    answers: list[Any] = [
        dynamodb.put_item(TableName="t", Item=ITEM, ReturnValues="ALL_OLD"),
        dynamodb.put_item(TableName="t", Item=ITEM | {"sk": {"S": "EVENT#1"}}),
        dynamodb.get_item(TableName="t", Key={"pk": ITEM["pk"], "sk": ITEM["sk"]}),
        dynamodb.get_item(TableName="t", Key={"pk": {"S": "missing"}, "sk": {"S": "REPORT"}}),
        dynamodb.update_item(
            TableName="t",
            Key={"pk": ITEM["pk"], "sk": ITEM["sk"]},
            UpdateExpression="SET #c = #c + :one",
            ExpressionAttributeNames={"#c": "count"},
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        ),
        dynamodb.query(
            TableName="t",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": ITEM["pk"]},
            Limit=1,
        ),
        dynamodb.query(
            TableName="t", KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": ITEM["pk"]}
        ),
        dynamodb.scan(TableName="t", Select="COUNT"),
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": ITEM | {"sk": {"S": "EVENT#2"}}}},
                {
                    "Update": {
                        "TableName": "t",
                        "Key": {"pk": ITEM["pk"], "sk": ITEM["sk"]},
                        "UpdateExpression": "REMOVE nothing",
                    }
                },
            ]
        ),
        dynamodb.batch_get_item(RequestItems={"t": {"Keys": [{"pk": ITEM["pk"], "sk": ITEM["sk"]}]}}),
        dynamodb.delete_item(
            TableName="t", Key={"pk": ITEM["pk"], "sk": {"S": "EVENT#1"}}, ReturnValues="ALL_OLD"
        ),
    ]
    try:
        dynamodb.put_item(TableName="t", Item=ITEM, ConditionExpression="attribute_not_exists(pk)")
    except ClientError as error:
        answers.append(error.response["Error"])
    stream_arn = dynamodb.describe_table(TableName="t")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )
    answers.append(streams.get_records(ShardIterator=iterator["ShardIterator"]))
    for answer in answers:
        answer.pop("ResponseMetadata", None)
    return answers


def _without_volatile(answers: list[Any]) -> list[Any]:
    # Stream records carry ids and creation times that differ from one run to the next (and moto's
    # SizeBytes counts the characters of that time).
    records = answers[-1]["Records"]
    for record in records:
        record.pop("eventID")
        for volatile in ("ApproximateCreationDateTime", "SizeBytes"):
            record["dynamodb"].pop(volatile)
    answers[-1].pop("NextShardIterator")
    return answers


def test_plain_json_responses_are_what_motos_serializer_answers():
    # Given the same conversation with moto, once as moto serves it and once with the local stack's
    # serialization and action-lookup patches
    with mock_aws():
        expected = _conversation()
    with mock_aws(), plain_json_item_responses(), cached_action_lookup():
        actual = _conversation()

    # Then boto3 sees the same answers, blobs, number sets, empty results and errors included
    assert (
        len(actual[-1]["Records"]) == len(expected[-1]["Records"]) == 6
    )  # 3 puts, 1 update, 1 transaction, 1 delete
    times = [r["dynamodb"]["ApproximateCreationDateTime"] for r in actual[-1]["Records"]]
    assert all(t.tzinfo is not None for t in times)  # stream times still parse as timestamps
    assert _without_volatile(actual) == _without_volatile(expected)


def test_plain_json_responses_leave_other_operations_to_moto():
    with mock_aws(), plain_json_item_responses():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        with pytest.raises(ClientError, match="ResourceNotFoundException"):
            dynamodb.describe_table(TableName="absent")
        dynamodb.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        assert dynamodb.describe_table(TableName="t")["Table"]["CreationDateTime"].year >= 2026


def _partition_queries() -> list[Any]:
    """Queries of a table's own key (paged, descending, begins_with, absent key) and of an index."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName="q",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for p in range(5):
        for s in range(7):
            dynamodb.put_item(
                TableName="q",
                Item={"pk": {"S": f"P{p}"}, "sk": {"S": f"2026-0{s}#A{s}"}, "g": {"S": f"G{s % 2}"}},
            )
    answers: list[Any] = []
    kwargs: dict[str, Any] = {
        "TableName": "q",
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "P3"}},
        "Limit": 3,
    }
    while True:
        page = dynamodb.query(**kwargs)
        answers.append(page)
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    answers.append(
        dynamodb.query(
            TableName="q",
            KeyConditionExpression="pk = :p AND begins_with(sk, :m)",
            ExpressionAttributeValues={":p": {"S": "P1"}, ":m": {"S": "2026-03"}},
            ScanIndexForward=False,
        )
    )
    answers.append(
        dynamodb.query(
            TableName="q", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "absent"}}
        )
    )
    answers.append(
        dynamodb.query(
            TableName="q",
            IndexName="by-g",
            KeyConditionExpression="g = :g",
            ExpressionAttributeValues={":g": {"S": "G1"}},
        )
    )
    for answer in answers:
        answer.pop("ResponseMetadata")
    return answers


def test_partition_scoped_queries_answer_as_moto_does():
    # Given the same queries answered by moto as it is, and with the partition-scoped patch
    with mock_aws():
        expected = _partition_queries()
    with mock_aws(), partition_scoped_queries():
        actual = _partition_queries()
    # Then every page, order, empty result and index query is the same
    assert actual == expected
    assert [len(a["Items"]) for a in actual] == [3, 3, 1, 1, 0, 15]
