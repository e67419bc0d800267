"""sync-officials: the user pool follows the directory (create, update, enable, disable; never delete)."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
import yaml
from moto import mock_aws

from lapor.adapters.directory_file import load_directory_file
from lapor.domain.directory import parse_directory
from local.auth import create_user_pool
from ops.identity_ops import sync_officials

TEST_DIRECTORY = Path(__file__).resolve().parents[1] / "data" / "directory.test.yaml"


def users(client, pool_id):
    found = {}
    for user in client.list_users(UserPoolId=pool_id)["Users"]:
        attributes = {a["Name"]: a["Value"] for a in user["Attributes"]}
        found[user["Username"]] = (user["Enabled"], attributes)
    return found


@pytest.fixture
def pool():
    with mock_aws():
        client = boto3.client("cognito-idp", region_name="ap-southeast-3")
        yield (
            client,
            create_user_pool(
                client,
                name="lapor-test-officials",
                region="ap-southeast-3",
                endpoint="https://cognito.test",
                mfa=False,
            ).pool_id,
        )


def test_sync_creates_updates_and_disables(pool):
    client, pool_id = pool
    directory = load_directory_file(TEST_DIRECTORY)
    # Given a first sync of the test directory
    first = sync_officials(directory, pool_id=pool_id, client=client, invite=False)
    # Then every official has a user carrying their id and agency; the inactive one is disabled
    assert len(first.created) == len(directory.officials)
    state = users(client, pool_id)
    assert state["kemenkes-lo1"][1]["custom:official_id"] == "kemenkes-lo1"
    assert state["kemenkes-lo1"][1]["custom:agency"] == "KEMENKES"
    assert state["kemenkes-lo3"][0] is False and first.disabled == ["kemenkes-lo3"]

    # When the directory changes: an email changes, an official leaves, the inactive one returns
    data = yaml.safe_load(TEST_DIRECTORY.read_text())
    data["officials"] = [o for o in data["officials"] if o["id"] != "kemenpu-lo1"]
    for official in data["officials"]:
        if official["id"] == "kemenkes-lo1":
            official["email"] = "siti.baru@kemkes.go.id"
        if official["id"] == "kemenkes-lo3":
            official["active"] = True
    second = sync_officials(parse_directory(data), pool_id=pool_id, client=client, invite=False)

    # Then the pool follows: updated, re-enabled, and the departed official disabled (not deleted)
    state = users(client, pool_id)
    assert (
        second.updated == ["kemenkes-lo1"] and state["kemenkes-lo1"][1]["email"] == "siti.baru@kemkes.go.id"
    )
    assert second.enabled == ["kemenkes-lo3"] and state["kemenkes-lo3"][0] is True
    assert second.disabled == ["kemenpu-lo1"] and state["kemenpu-lo1"][0] is False
    assert second.created == []

    # And a third sync with nothing new changes nothing
    third = sync_officials(parse_directory(data), pool_id=pool_id, client=client, invite=False)
    assert (third.created, third.updated, third.enabled, third.disabled) == ([], [], [], [])


def test_cli_syncs_by_pool_id(pool, capsys):
    from ops.cli import main

    client, pool_id = pool
    code = main(["sync-officials", str(TEST_DIRECTORY), "--user-pool-id", pool_id, "--no-invite"])
    assert code == 0
    assert "created   20" in capsys.readouterr().out
    assert len(users(client, pool_id)) == 20
