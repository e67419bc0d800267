"""Integration fixtures: the real handlers against moto, with the resources the local stack creates."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.moto_patches import item_level_transaction_backups
from local.resources import ResourceNames, Resources, create_resources
from ops.directory_ops import load_into

TEST_DIRECTORY = Path(__file__).resolve().parent.parent / "data" / "directory.test.yaml"


class _ReusedClients:
    """A boto3 session whose clients are built once per test process (building one costs ~0.1 s);
    moto intercepts at request time, so a client built earlier serves every ``mock_aws`` context."""

    def __init__(self) -> None:
        self._session = boto3.session.Session()

    @cache
    def client(self, service: str) -> Any:
        return self._session.client(service)


SESSION = _ReusedClients()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Resources]:
    """Fresh moto backends, the pipeline's resources, the test directory loaded, env set for handlers."""
    import intake_app

    # Item-level transaction backups, as the local stack's moto: same answers, without moto copying
    # every table on every transaction (the inbox entries make those transactions larger).
    with mock_aws(), item_level_transaction_backups():
        resources = create_resources(SESSION, ResourceNames("lapor-test"))
        for name, value in resources.environment(public_url="https://lapor.test").items():
            monkeypatch.setenv(name, value)
        load_into(TEST_DIRECTORY, table=resources.names.directory_table)
        intake_app.services.cache_clear()
        yield resources
        intake_app.services.cache_clear()
