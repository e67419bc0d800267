"""Open311 partner applications' api_keys, in the directory table: only their hashes are stored.

One item per key: ``pk = "OPEN311_KEY"``, ``sk = <sha256 of the key>``, with the application's
name, the public ``key_id`` (the hash's first 12 hex digits) and when it was created or revoked.
A request's key is found with one GetItem of its hash; operators list and revoke with a Query of
the few keys there are.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from lapor.adapters.aws import all_items
from lapor.adapters.aws import client as aws_client
from lapor.domain.open311 import API_KEY_PREFIX, PartnerKey, hash_api_key, key_id_of
from lapor.domain.workdays import utc_iso

PARTITION = "OPEN311_KEY"


class PartnerKeys:
    """Create, find, list and revoke partner keys."""

    def __init__(self, table: str, *, client: Any = None) -> None:
        self.table = table
        self._client = client

    @property
    def client(self) -> Any:
        """The DynamoDB client, created on first use."""
        if self._client is None:
            self._client = aws_client("dynamodb")
        return self._client

    def create(self, name: str, *, now: datetime) -> tuple[PartnerKey, str]:
        """A new key for ``name``: the stored record and the key itself, shown once and never stored."""
        api_key = API_KEY_PREFIX + secrets.token_urlsafe(32)
        return self.add(name, api_key, now=now), api_key

    def add(self, name: str, api_key: str, *, now: datetime) -> PartnerKey:
        """Store the hash of a given key (the local stack's fixed key); an existing one is kept."""
        key_hash = hash_api_key(api_key)
        record = PartnerKey(key_id=key_id_of(key_hash), name=name, created_at=now)
        try:
            self.client.put_item(
                TableName=self.table,
                Item={
                    "pk": {"S": PARTITION},
                    "sk": {"S": key_hash},
                    "key_id": {"S": record.key_id},
                    "name": {"S": name},
                    "created_at": {"S": utc_iso(now)},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            existing = self.find(api_key, include_revoked=True)
            assert existing is not None
            return existing
        return record

    def find(self, api_key: str, *, include_revoked: bool = False) -> PartnerKey | None:
        """The partner a key belongs to; None when unknown (or revoked, unless asked for)."""
        item = self.client.get_item(
            TableName=self.table, Key={"pk": {"S": PARTITION}, "sk": {"S": hash_api_key(api_key)}}
        ).get("Item")
        if not item:
            return None
        record = _record(item)
        return record if record.active or include_revoked else None

    def list(self) -> list[PartnerKey]:
        """Every key, oldest first, revoked ones included."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": PARTITION}},
        }
        items = all_items(self.client.query, **kwargs)
        return sorted((_record(item) for item in items), key=lambda key: (key.created_at, key.key_id))

    def revoke(self, key_id: str, *, now: datetime) -> PartnerKey | None:
        """Revoke the key with this id (its requests are refused from then on); None when unknown."""
        for item in self._items_with_id(key_id):
            self.client.update_item(
                TableName=self.table,
                Key={"pk": item["pk"], "sk": item["sk"]},
                UpdateExpression="SET revoked_at = if_not_exists(revoked_at, :now)",
                ExpressionAttributeValues={":now": {"S": utc_iso(now)}},
            )
            return next(key for key in self.list() if key.key_id == key_id)
        return None

    def _items_with_id(self, key_id: str) -> list[dict[str, Any]]:
        response = self.client.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": {"S": PARTITION}, ":prefix": {"S": key_id.strip().lower()}},
        )
        return list(response.get("Items", []))


def _record(item: dict[str, Any]) -> PartnerKey:
    revoked = item.get("revoked_at", {}).get("S")
    return PartnerKey(
        key_id=item["key_id"]["S"],
        name=item["name"]["S"],
        created_at=datetime.fromisoformat(item["created_at"]["S"]),
        revoked_at=datetime.fromisoformat(revoked) if revoked else None,
    )
