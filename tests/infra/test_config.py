"""Context parsing: cdk.json's JSON types and ``-c key=value`` strings give the same settings."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.infra.conftest import load_app_module

load_app_module()

from lapor_infra.bundling import pip_command, runtime_dependencies  # noqa: E402
from lapor_infra.config import ConfigError, LaporConfig  # noqa: E402


def test_cdk_json_defaults() -> None:
    config = LaporConfig.from_mapping(load_app_module().default_context().get)
    assert config.stage == "dev"
    assert config.region == "ap-southeast-3"
    assert config.sender_domain == "lapor.example.go.id"
    assert config.sms_enabled is True
    assert config.due_shards == 8
    assert config.sla_schedule_minutes == 5
    assert config.cors_origins == ("https://lapor.example.go.id",)
    assert config.alarm_email is None


def test_cli_strings_are_parsed() -> None:
    given = {
        "smsEnabled": "false",
        "dueShards": "16",
        "corsOrigins": "https://a.go.id,http://localhost:8080",
        "alarmEmail": "ops@lapor.example.go.id",
        "smsMaxPrice": "0.05",
    }
    config = LaporConfig.from_mapping(given.get)
    assert config.sms_enabled is False
    assert config.due_shards == 16
    assert config.cors_origins == ("https://a.go.id", "http://localhost:8080")
    assert config.alarm_email == "ops@lapor.example.go.id"
    assert config.sms_max_price == Decimal("0.05")


def test_production_without_alarm_email_stops_the_synth_with_a_clear_message() -> None:
    # Given a production stage and no one to receive its alarms
    with pytest.raises(ConfigError) as caught:
        LaporConfig.from_mapping({"stage": "prod"}.get)
    # Then the message names the key and says how to set it
    assert "alarmEmail" in str(caught.value) and "-c alarmEmail=" in str(caught.value)
    assert (
        LaporConfig.from_mapping({"stage": "prod", "alarmEmail": "ops@lapor.example.go.id"}.get).stage
        == "prod"
    )


def test_account_level_resources_can_be_imported() -> None:
    config = LaporConfig.from_mapping(
        {"sesIdentity": "existing", "smsDeliveryStatus": "EXISTING", "snapStart": "true"}.get
    )
    assert (config.ses_identity, config.sms_delivery_status, config.snap_start) == (
        "existing",
        "existing",
        True,
    )
    defaults = LaporConfig.from_mapping(load_app_module().default_context().get)
    assert (defaults.ses_identity, defaults.sms_delivery_status, defaults.snap_start) == (
        "create",
        "create",
        False,
    )


def test_default_sms_max_price_covers_a_message_to_indonesia() -> None:
    # Given the dated price table the cost benchmark uses
    from bench.prices import PRICES

    # Then cdk.json's max price per message part is above the price of one part to Indonesia
    default = LaporConfig.from_mapping(load_app_module().default_context().get).sms_max_price
    assert default >= Decimal(str(PRICES.sms_indonesia_per_part_usd))


@pytest.mark.parametrize(
    "given",
    [
        {"sesIdentity": "reuse"},
        {"smsMaxPrice": "0"},
        {"corsOrigins": "*"},
        {"dueShards": "0"},
        {"senderEmail": "nobody"},
        {"smsEnabled": "perhaps"},
        {"stage": "Prod!"},
        {"logRetentionDays": "10"},
    ],
)
def test_bad_context_names_the_key(given: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match=next(iter(given))):
        LaporConfig.from_mapping(given.get)


def test_pip_targets_lambda_not_this_machine(tmp_path) -> None:
    from lapor_infra.interpreters import python_build

    command = pip_command(tmp_path)
    joined = " ".join(command)
    assert "--platform manylinux2014_aarch64" in joined
    assert f"--python-version {python_build().version}" in joined
    assert "--implementation cp" in joined
    assert "--only-binary=:all:" in command
    assert "--no-compile" in command
    assert command[-len(runtime_dependencies()) :] == runtime_dependencies()
    assert not any(dep.lower().startswith(("boto3", "botocore")) for dep in runtime_dependencies())
