"""Secrets the functions read from AWS Secrets Manager (never from the tables they protect)."""

from __future__ import annotations

import threading
from typing import Any

from lapor.adapters.aws import client as aws_client


class SecretValue:
    """One secret's value, read on first use and kept for the life of the warm function."""

    def __init__(self, secret_id: str, *, client: Any = None) -> None:
        self.secret_id = secret_id
        self._client = client
        self._value: bytes | None = None
        self._lock = threading.Lock()

    def get(self) -> bytes:
        """The secret's value as bytes (its SecretString, UTF-8)."""
        with self._lock:
            if self._value is None:
                client = self._client or aws_client("secretsmanager")
                self._value = client.get_secret_value(SecretId=self.secret_id)["SecretString"].encode()
            return self._value
