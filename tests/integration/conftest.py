"""Integration fixtures: the real handlers against moto, with the resources the local stack creates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from local.resources import ResourceNames, Resources, create_resources
from ops.directory_ops import load_into

TEST_DIRECTORY = Path(__file__).resolve().parent.parent / "data" / "directory.test.yaml"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Resources]:
    """Fresh moto backends, the pipeline's resources, the test directory loaded, env set for handlers."""
    import intake_app

    with mock_aws():
        resources = create_resources(boto3.session.Session(), ResourceNames("lapor-test"))
        for name, value in resources.environment(public_url="https://lapor.test").items():
            monkeypatch.setenv(name, value)
        load_into(TEST_DIRECTORY, table=resources.names.directory_table)
        intake_app.services.cache_clear()
        yield resources
        intake_app.services.cache_clear()
