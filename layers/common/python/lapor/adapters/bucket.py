"""The data bucket: evaluations and open data (KMS-encrypted by the bucket's default encryption)."""

from __future__ import annotations

from typing import Any

from lapor.adapters.aws import client as aws_client


class DataBucket:
    """Writes and reads objects of one bucket; ``client`` defaults to the shared S3 client."""

    def __init__(self, name: str, *, client: Any = None) -> None:
        self.name = name
        self._client = client

    @property
    def client(self) -> Any:
        """The S3 client, created on first use."""
        if self._client is None:
            self._client = aws_client("s3")
        return self._client

    def put(self, key: str, body: bytes, content_type: str) -> str:
        """Store ``body`` at ``key`` (replacing what was there); returns the key."""
        self.client.put_object(Bucket=self.name, Key=key, Body=body, ContentType=content_type)
        return key

    def get(self, key: str) -> bytes | None:
        """The object at ``key``, or None when there is none."""
        try:
            return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None
