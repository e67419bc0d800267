"""The synthesized stack against the design: tables from lapor.schema, the API contract, the pipeline's
event sources, encryption, least privilege and alarms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match

from lapor.adapters.schema import (
    ALL_TABLES,
    DIRECTORY,
    DUE_INDEX,
    IDEMPOTENCY,
    REPORTS,
    UNDELIVERED_INDEX,
    TableSpec,
)
from lapor.settings import ENVIRONMENT
from tests.infra.conftest import Synth

FUNCTIONS = {
    "intake": "IntakeApiFunction",
    "route": "RouterFunction",
    "sla_check": "SlaScheduleFunction",
    "notify": "NotificationsFunction",
    "tally": "TallyFunction",
    "evaluation": "MonthlyJobsEvaluationFunction",
    "export": "MonthlyJobsExportFunction",
    "sms_status": "SmsDeliveryStatusFunction",
    "attachments": "UploadsFunction",
}
PUBLIC_ROUTES = {
    ("POST", "/reports"),
    ("GET", "/reports/{id}"),
    ("GET", "/categories"),
    ("GET", "/regions"),
    ("GET", "/messages"),
    ("POST", "/uploads"),
    ("GET", "/stats"),
    ("GET", "/openapi.json"),
    ("POST", "/reports/{id}/feedback"),
    ("GET", "/reports/{id}/timeline"),
    ("GET", "/agencies"),
    ("GET", "/auth/config"),
}
# Open311 GeoReport v2: public (a partner's api_key is checked by the function), each as .json and .xml.
OPEN311_ROUTES = {
    *(
        ("GET", f"/open311/v2/{name}.{fmt}")
        for name in ("discovery", "services", "requests")
        for fmt in ("json", "xml")
    ),
    ("POST", "/open311/v2/requests.json"),
    ("POST", "/open311/v2/requests.xml"),
    ("GET", "/open311/v2/services/{service_code}"),
    ("GET", "/open311/v2/requests/{service_request_id}"),
    ("GET", "/open311/v2/tokens/{token}"),
    ("GET", "/open311/v2/{proxy+}"),
    ("POST", "/open311/v2/{proxy+}"),
}
OFFICIAL_ROUTES = {
    ("GET", "/inbox"),
    ("GET", "/inbox/summary"),
    ("GET", "/me"),
    ("GET", "/officials"),
    ("POST", "/reports/{id}/actions"),
    ("GET", "/reports/{id}/attachments"),
}


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement.get("Action", [])
    return [action] if isinstance(action, str) else list(action)


def _resources(statement: dict[str, Any]) -> list[Any]:
    resource = statement.get("Resource", [])
    return resource if isinstance(resource, list) else [resource]


def _all_actions(statements: list[dict[str, Any]]) -> set[str]:
    return {
        action for statement in statements if statement["Effect"] == "Allow" for action in _actions(statement)
    }


def _table(synth: Synth, spec: TableSpec) -> dict[str, Any]:
    return synth.one("AWS::DynamoDB::Table", f"Data{spec.logical_id}")[1]


# ---- data ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ALL_TABLES, ids=lambda spec: spec.logical_id)
def test_tables_are_built_from_lapor_schema(synth: Synth, spec: TableSpec) -> None:
    # Given the spec the local stack creates its table from
    expected = spec.create_table_kwargs("unused")
    # When the deployed table is read from the template
    props = _table(synth, spec)["Properties"]
    # Then keys, attribute types, indexes (keys and projections) and stream agree exactly
    assert props["KeySchema"] == expected["KeySchema"]
    assert sorted(props["AttributeDefinitions"], key=str) == sorted(expected["AttributeDefinitions"], key=str)
    deployed_indexes = {index["IndexName"]: index for index in props.get("GlobalSecondaryIndexes", [])}
    assert set(deployed_indexes) == {
        index["IndexName"] for index in expected.get("GlobalSecondaryIndexes", [])
    }
    for index in expected.get("GlobalSecondaryIndexes", []):
        deployed = deployed_indexes[index["IndexName"]]
        assert deployed["KeySchema"] == index["KeySchema"]
        assert deployed["Projection"].get("ProjectionType") == index["Projection"]["ProjectionType"]
        assert sorted(deployed["Projection"].get("NonKeyAttributes", [])) == sorted(
            index["Projection"].get("NonKeyAttributes", [])
        )
    if spec.stream_view_type:
        assert props["StreamSpecification"] == {"StreamViewType": spec.stream_view_type}
    else:
        assert "StreamSpecification" not in props
    if spec.ttl_attribute:
        assert props["TimeToLiveSpecification"] == {"AttributeName": spec.ttl_attribute, "Enabled": True}
    else:
        assert "TimeToLiveSpecification" not in props


def test_reports_stream_carries_old_and_new_images(synth: Synth) -> None:
    assert REPORTS.stream_view_type == "NEW_AND_OLD_IMAGES"
    assert (
        _table(synth, REPORTS)["Properties"]["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    )
    assert {index.name for index in REPORTS.indexes} == {
        "due",
        "undelivered",
        "period",
        "public",
        "sms",
        "work",
        "work_created",
        "work_status",
        "work_due",
    }


@pytest.mark.parametrize("spec", ALL_TABLES, ids=lambda spec: spec.logical_id)
def test_tables_are_on_demand_encrypted_recoverable_and_retained(synth: Synth, spec: TableSpec) -> None:
    table = _table(synth, spec)
    props = table["Properties"]
    (key_id, _) = synth.one("AWS::KMS::Key", "DataKey")
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"] == {
        "KMSMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
        "SSEEnabled": True,
        "SSEType": "KMS",
    }
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"


def test_kms_key_rotates_and_is_retained(synth: Synth) -> None:
    _, key = synth.one("AWS::KMS::Key", "DataKey")
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"


def test_queues_and_topics_use_the_stack_key(synth: Synth) -> None:
    key_id, _ = synth.one("AWS::KMS::Key", "DataKey")
    queues = synth.of_type("AWS::SQS::Queue")
    assert len(queues) == 6  # notify, notify DLQ, route and tally failures, SLA and monthly schedules' DLQs
    for queue in queues.values():
        assert queue["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    topics = synth.of_type("AWS::SNS::Topic")
    assert topics
    for topic in topics.values():
        assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}


def test_queues_and_topics_refuse_plain_http(synth: Synth) -> None:
    deny_insecure = Match.object_like(
        {
            "Effect": "Deny",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
    policies = list(synth.of_type("AWS::SQS::QueuePolicy").values())
    assert len(policies) == 6
    synth.assertions.all_resources_properties(
        "AWS::SQS::QueuePolicy", {"PolicyDocument": {"Statement": Match.array_with([deny_insecure])}}
    )
    synth.assertions.has_resource_properties(
        "AWS::SNS::TopicPolicy", {"PolicyDocument": {"Statement": Match.array_with([deny_insecure])}}
    )


# ---- functions ----------------------------------------------------------------------------------


def lapor_functions(synth: Synth) -> dict[str, dict[str, Any]]:
    """Lapor's own functions (CDK's custom-resource provider is not one)."""
    return {
        name: function
        for name, function in synth.of_type("AWS::Lambda::Function").items()
        if function["Properties"].get("Handler", "").endswith("_app.lambda_handler")
    }


def test_every_function_runs_the_compilable_python_on_arm64_with_tracing(synth: Synth) -> None:
    functions = lapor_functions(synth)
    assert len(functions) == len(FUNCTIONS)
    # Given the newest runtime this machine has an interpreter for (the layer's bytecode needs one):
    # 3.13 from pyenv on these machines, 3.14 once an interpreter of it is installed
    from lapor_infra.interpreters import interpreter_version, python_build

    build = python_build()
    assert build.compiles, "no interpreter of a Lambda Python runtime found: the layer has no bytecode"
    assert interpreter_version(build.interpreter) == tuple(int(p) for p in build.version.split("."))
    runtime = build.runtime.name
    if any(Path.home().glob(".pyenv/versions/3.13.*")):
        assert runtime in {"python3.13", "python3.14"}
    (layer_id, layer) = synth.one("AWS::Lambda::LayerVersion", "CommonLayer")
    (imaging_id, imaging) = synth.one("AWS::Lambda::LayerVersion", "UploadsImagingLayer")
    for found in (layer, imaging):
        assert found["Properties"]["CompatibleRuntimes"] == [runtime]
        assert found["Properties"]["CompatibleArchitectures"] == ["arm64"]
    for function_id, function in functions.items():
        props = function["Properties"]
        assert props["Runtime"] == runtime
        assert props["Architectures"] == ["arm64"]
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert props["Layers"][0] == {"Ref": layer_id}
        assert 256 <= props["MemorySize"] <= 2048
        assert "LogGroup" in props["LoggingConfig"]
    # Pillow only where photos are cleaned, matplotlib and pyarrow only in the monthly jobs: no other
    # function's cold start loads them.
    charts_id, _ = synth.one("AWS::Lambda::LayerVersion", "MonthlyJobsChartsLayer")
    parquet_id, _ = synth.one("AWS::Lambda::LayerVersion", "MonthlyJobsParquetLayer")
    own = {"attachments": [imaging_id], "evaluation": [charts_id], "export": [parquet_id]}
    for name, prefix in FUNCTIONS.items():
        layers = [ref["Ref"] for ref in synth.function(prefix)[1]["Properties"]["Layers"]]
        assert layers == [layer_id, *own.get(name, [])], name


@pytest.mark.parametrize(
    ("name", "handler", "timeout"),
    [
        ("intake", "intake_app.lambda_handler", 20),
        ("route", "route_app.lambda_handler", 60),
        ("sla_check", "sla_check_app.lambda_handler", 60),
        ("notify", "notify_app.lambda_handler", 30),
        ("sms_status", "sms_status_app.lambda_handler", 30),
        ("attachments", "attachments_app.lambda_handler", 60),
    ],
)
def test_function_handlers_and_timeouts(synth: Synth, name: str, handler: str, timeout: int) -> None:
    _, function = synth.function(FUNCTIONS[name])
    assert function["Properties"]["Handler"] == handler
    assert function["Properties"]["Timeout"] == timeout


def test_each_function_has_its_own_role_without_managed_policies(synth: Synth) -> None:
    roles = [
        synth.function(prefix)[1]["Properties"]["Role"]["Fn::GetAtt"][0] for prefix in FUNCTIONS.values()
    ]
    assert len(set(roles)) == len(FUNCTIONS)
    for role in roles:
        assert "ManagedPolicyArns" not in synth.resources[role]["Properties"]


def test_function_environments_name_only_known_settings(synth: Synth) -> None:
    required = {
        "LAPOR_REPORTS_TABLE",
        "LAPOR_DIRECTORY_TABLE",
        "LAPOR_NOTIFY_QUEUE_URL",
        "LAPOR_DUE_SHARDS",
        "LAPOR_PUBLIC_URL",
    }
    powertools = {"POWERTOOLS_SERVICE_NAME": "lapor", "POWERTOOLS_METRICS_NAMESPACE": "Lapor"}
    extra = {
        "intake": {
            "LAPOR_IDEMPOTENCY_TABLE",
            "LAPOR_USER_POOL_ID",
            "LAPOR_USER_POOL_CLIENT_ID",
            "LAPOR_MFA_REQUIRED",
            "LAPOR_CORS_ORIGINS",
            "LAPOR_AGGREGATES_TABLE",
        },
        "route": set(),
        "sla_check": set(),
        "notify": {
            "LAPOR_SENDER_EMAIL",
            "LAPOR_SES_CONFIGURATION_SET",
            "LAPOR_SMS_ENABLED",
            "LAPOR_SMS_MAX_PRICE",
        },
        "sms_status": set(),
        "tally": {"LAPOR_AGGREGATES_TABLE"},
        "evaluation": {
            "LAPOR_AGGREGATES_TABLE",
            "LAPOR_DATA_BUCKET",
            "LAPOR_SENDER_EMAIL",
            "LAPOR_SES_CONFIGURATION_SET",
        },
        "export": {"LAPOR_DATA_BUCKET"},
    }
    extra["intake"] |= {"LAPOR_UPLOADS_BUCKET", "LAPOR_RECEIPT_SECRET"}
    for name, prefix in FUNCTIONS.items():
        variables = synth.function(prefix)[1]["Properties"]["Environment"]["Variables"]
        lapor = {key for key in variables if key.startswith("LAPOR_")}
        if name == "attachments":  # touches no table or queue: only its bucket
            assert lapor == {"LAPOR_UPLOADS_BUCKET"}
        else:
            assert lapor == required | extra[name], name
        assert lapor <= set(ENVIRONMENT), name
        assert {key: variables[key] for key in powertools} == powertools
        assert variables["POWERTOOLS_LOG_LEVEL"] in {"DEBUG", "INFO", "WARNING", "ERROR"}
    notify = synth.function(FUNCTIONS["notify"])[1]["Properties"]["Environment"]["Variables"]
    assert notify["LAPOR_SENDER_EMAIL"] == "no-reply@lapor.example.go.id"
    assert notify["LAPOR_SMS_ENABLED"] == "true"


def test_log_groups_have_retention(synth: Synth) -> None:
    provider = "AWS679f53fac002430cb0da5b7982bd2287"  # CDK's AwsCustomResource provider: deploy-time only
    groups = {n: g for n, g in synth.of_type("AWS::Logs::LogGroup").items() if not n.startswith(provider)}
    # nine functions, the API's access log and its execution log, SNS's SMS delivery failures
    assert len(groups) == 12
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == 90


def test_log_groups_with_personal_data_are_encrypted_with_the_stack_key(synth: Synth) -> None:
    key_id, key = synth.one("AWS::KMS::Key", "DataKey")
    # Given the access log (client IPs) and SNS's delivery-status log (phone numbers)
    _, access = synth.one("AWS::Logs::LogGroup", "IntakeApiAccessLogs")
    _, sms = synth.one("AWS::Logs::LogGroup", "SmsDeliveryStatusFailureLogs")
    # Then both are encrypted with the stack's key
    for group in (access, sms):
        assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert sms["Properties"]["LogGroupName"] == {
        "Fn::Join": [
            "",
            ["sns/ap-southeast-3/", {"Ref": "AWS::AccountId"}, "/DirectPublishToPhoneNumber/Failure"],
        ]
    }
    # ... and the key lets CloudWatch Logs of this region use it for this account's log groups only
    [logs] = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") == "AllowCloudWatchLogsOfThisAccount"
    ]
    assert logs["Principal"] == {"Service": "logs.ap-southeast-3.amazonaws.com"}
    assert "kms:EncryptionContext:aws:logs:arn" in logs["Condition"]["ArnLike"]
    assert ":log-group:*" in json.dumps(logs["Condition"])


def test_cloudwatch_use_of_the_key_is_bound_to_this_account(synth: Synth) -> None:
    _, key = synth.one("AWS::KMS::Key", "DataKey")
    [alarms] = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") == "AllowCloudWatchAlarmsToUseTheKey"
    ]
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert sorted(alarms["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert alarms["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_no_function_role_may_kms_encrypt(synth: Synth) -> None:
    for name, prefix in FUNCTIONS.items():
        kms = {a for a in _all_actions(synth.function_statements(prefix)) if a.startswith("kms:")}
        assert "kms:Encrypt" not in kms, name
        assert kms <= {"kms:Decrypt", "kms:GenerateDataKey"}, name


# ---- API ----------------------------------------------------------------------------------------


def _resource_paths(synth: Synth) -> dict[str, str]:
    resources = synth.of_type("AWS::ApiGateway::Resource")
    paths: dict[str, str] = {}

    def path_of(logical_id: str) -> str:
        if logical_id not in paths:
            props = resources[logical_id]["Properties"]
            parent = props["ParentId"]
            prefix = "" if "Fn::GetAtt" in parent else path_of(parent["Ref"])
            paths[logical_id] = f"{prefix}/{props['PathPart']}"
        return paths[logical_id]

    for logical_id in resources:
        path_of(logical_id)
    return paths


def _methods(synth: Synth) -> dict[tuple[str, str], dict[str, Any]]:
    paths = _resource_paths(synth)
    methods = {}
    for method in synth.of_type("AWS::ApiGateway::Method").values():
        props = method["Properties"]
        resource = props["ResourceId"]
        path = "/" if "Fn::GetAtt" in resource else paths[resource["Ref"]]
        methods[(props["HttpMethod"], path)] = props
    return methods


def test_api_has_exactly_the_contract_routes(synth: Synth) -> None:
    routes = {route for route in _methods(synth) if route[0] != "OPTIONS"}
    assert routes == PUBLIC_ROUTES | OPEN311_ROUTES | OFFICIAL_ROUTES


def test_api_never_exposes_local_only_routes(synth: Synth) -> None:
    for path in _resource_paths(synth).values():
        assert "_local" not in path
        assert not any(part.startswith("_") for part in path.split("/"))


def test_only_officials_routes_use_the_cognito_authorizer(synth: Synth) -> None:
    authorizer_id, authorizer = synth.one("AWS::ApiGateway::Authorizer", "IntakeApiOfficialsAuthorizer")
    pool_id, _ = synth.one("AWS::Cognito::UserPool", "IdentityOfficials")
    assert authorizer["Properties"]["Type"] == "COGNITO_USER_POOLS"
    assert authorizer["Properties"]["ProviderARNs"] == [{"Fn::GetAtt": [pool_id, "Arn"]}]
    assert authorizer["Properties"]["IdentitySource"] == "method.request.header.Authorization"
    for route, props in _methods(synth).items():
        if route in OFFICIAL_ROUTES:
            assert props["AuthorizationType"] == "COGNITO_USER_POOLS", route
            assert props["AuthorizerId"] == {"Ref": authorizer_id}, route
        else:
            assert props["AuthorizationType"] == "NONE", route
            assert "AuthorizerId" not in props, route


def test_api_methods_are_lambda_proxy_to_intake_with_a_validator(synth: Synth) -> None:
    intake_id, _ = synth.function(FUNCTIONS["intake"])
    validator_id, validator = synth.one("AWS::ApiGateway::RequestValidator", "IntakeApi")
    assert validator["Properties"]["ValidateRequestBody"] is True
    assert validator["Properties"]["ValidateRequestParameters"] is True
    for route, props in _methods(synth).items():
        if route[0] == "OPTIONS":
            continue
        assert props["Integration"]["Type"] == "AWS_PROXY", route
        assert intake_id in json.dumps(props["Integration"]["Uri"]), route
        assert props["RequestValidatorId"] == {"Ref": validator_id}, route
        if "{id}" in route[1]:
            assert props["RequestParameters"]["method.request.path.id"] is True, route


def test_stage_is_throttled_logged_and_traced(synth: Synth) -> None:
    _, stage = synth.one("AWS::ApiGateway::Stage", "IntakeApi")
    props = stage["Properties"]
    (settings,) = props["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == 50
    assert settings["ThrottlingBurstLimit"] == 100
    assert settings["LoggingLevel"] == "ERROR"
    assert settings["DataTraceEnabled"] is False
    assert props["TracingEnabled"] is True
    access_log_id, _ = synth.one("AWS::Logs::LogGroup", "IntakeApiAccessLogs")
    assert access_log_id in json.dumps(props["AccessLogSetting"]["DestinationArn"])
    assert "$context.requestId" in props["AccessLogSetting"]["Format"]


def test_cors_allows_only_the_configured_origins(synth: Synth) -> None:
    options = [props for (method, _), props in _methods(synth).items() if method == "OPTIONS"]
    assert options
    for props in options:
        (response,) = props["Integration"]["IntegrationResponses"]
        origin = response["ResponseParameters"]["method.response.header.Access-Control-Allow-Origin"]
        assert origin == "'https://lapor.example.go.id'"


def test_open311_routes_are_throttled_and_covered_by_the_waf_like_the_public_api(synth: Synth) -> None:
    # Given the stage's throttling and the WAF on the whole stage (no rule scoped to some paths)
    _, stage = synth.one("AWS::ApiGateway::Stage", "IntakeApi")
    (settings,) = stage["Properties"]["MethodSettings"]
    assert (settings["ResourcePath"], settings["HttpMethod"]) == ("/*", "*")
    _, acl = synth.one("AWS::WAFv2::WebACL", "IntakeApiWebAcl")
    assert "uri_path" not in json.dumps(acl).lower() and "UriPath" not in json.dumps(acl)
    # Then every Open311 method is a method of that stage's API, in the proxy integration to intake
    methods = _methods(synth)
    intake_id, _ = synth.function(FUNCTIONS["intake"])
    for route in OPEN311_ROUTES:
        assert methods[route]["AuthorizationType"] == "NONE", route
        assert intake_id in json.dumps(methods[route]["Integration"]["Uri"]), route


def test_waf_with_rate_based_rule_is_associated_with_the_stage(synth: Synth) -> None:
    acl_id, acl = synth.one("AWS::WAFv2::WebACL", "IntakeApiWebAcl")
    stage_id, _ = synth.one("AWS::ApiGateway::Stage", "IntakeApi")
    assert acl["Properties"]["Scope"] == "REGIONAL"
    rate_rules = [rule for rule in acl["Properties"]["Rules"] if "RateBasedStatement" in rule["Statement"]]
    assert rate_rules
    assert all(rule["Action"] == {"Block": {}} for rule in rate_rules)
    _, association = synth.one("AWS::WAFv2::WebACLAssociation", "IntakeApi")
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    assert {"Ref": stage_id} in association["Properties"]["ResourceArn"]["Fn::Join"][1]


def test_user_pool_is_admin_only_with_strong_passwords_and_mfa(synth: Synth) -> None:
    _, pool = synth.one("AWS::Cognito::UserPool", "IdentityOfficials")
    props = pool["Properties"]
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    # TOTP offered to all; the API requires it of admins, supervisors and the national admin (mfa=required)
    assert props["MfaConfiguration"] == "OPTIONAL"
    assert props["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    invitation = props["AdminCreateUserConfig"]["InviteMessageTemplate"]
    assert "{username}" in invitation["EmailMessage"] and "{####}" in invitation["EmailMessage"]
    assert "/officials.html" in invitation["EmailMessage"]
    policy = props["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    assert all(
        policy[flag] for flag in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols")
    )
    assert {"AttributeDataType": "String", "Name": "official_id"}.items() <= next(
        attribute for attribute in props["Schema"] if attribute["Name"] == "official_id"
    ).items()
    _, client = synth.one("AWS::Cognito::UserPoolClient", "IdentityOfficials")
    assert client["Properties"]["GenerateSecret"] is False
    # officials cannot change their own official id or agency
    assert not any(name.startswith("custom:") for name in client["Properties"]["WriteAttributes"])
    # the workspace signs in with Cognito's API (password over TLS) and refreshes silently
    assert set(client["Properties"]["ExplicitAuthFlows"]) >= {
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }
    _, intake = synth.function(FUNCTIONS["intake"])
    environment = intake["Properties"]["Environment"]["Variables"]
    assert environment["LAPOR_MFA_REQUIRED"] == "true"
    assert environment["LAPOR_USER_POOL_CLIENT_ID"] == {
        "Ref": synth.one("AWS::Cognito::UserPoolClient", "IdentityOfficials")[0]
    }


def test_mfa_off_turns_totp_off_at_the_pool_and_the_api() -> None:
    from lapor_infra.config import ConfigError, LaporConfig

    assert LaporConfig.from_mapping({"mfa": "off"}.get).mfa_required is False
    assert LaporConfig.from_mapping({}.get).mfa_required is True
    with pytest.raises(ConfigError, match="mfa"):
        LaporConfig.from_mapping({"mfa": "sometimes"}.get)


# ---- pipeline -----------------------------------------------------------------------------------


def test_the_tally_reads_the_stream_in_gathered_batches_and_dispatch_in_none(synth: Synth) -> None:
    # The statistics can wait seconds; dispatch cannot.
    def mapping_of(function: str) -> dict:
        function_id, _ = synth.function(FUNCTIONS[function])
        (mapping,) = [
            m["Properties"]
            for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
            if m["Properties"]["FunctionName"] == {"Ref": function_id}
        ]
        return mapping

    tally, route = mapping_of("tally"), mapping_of("route")
    assert tally["BatchSize"] == 100 and tally["MaximumBatchingWindowInSeconds"] == 2
    assert "MaximumBatchingWindowInSeconds" not in route


def test_router_reads_the_reports_stream_safely(synth: Synth) -> None:
    route_id, _ = synth.function(FUNCTIONS["route"])
    reports_id, _ = synth.one("AWS::DynamoDB::Table", "DataReports")
    failures_id, _ = synth.one("AWS::SQS::Queue", "RouterFailureQueue")
    (mapping,) = [
        m["Properties"]
        for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": route_id}
    ]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [reports_id, "StreamArn"]}
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert 10 <= mapping["BatchSize"] <= 100
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == 5
    assert mapping["MaximumRecordAgeInSeconds"] == 3600
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["DestinationConfig"] == {
        "OnFailure": {"Destination": {"Fn::GetAtt": [failures_id, "Arn"]}}
    }
    patterns = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    assert {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"sk": {"S": ["REPORT"]}}}} in patterns
    assert {
        "eventName": ["MODIFY"],
        "dynamodb": {"NewImage": {"sk": {"S": ["REPORT"]}, "has_outbox": {"S": ["yes"]}}},
    } in patterns


def _matches(pattern: Any, value: Any) -> bool:
    """Lambda event filtering for the equality patterns the router uses."""
    if isinstance(pattern, list):
        return value in pattern
    return isinstance(value, dict) and all(_matches(p, value.get(key)) for key, p in pattern.items())


def _stream_record(event: str, sk: str, **extra: str) -> dict[str, Any]:
    image = {"pk": {"S": "REPORT#r1"}, "sk": {"S": sk}, **{k: {"S": v} for k, v in extra.items()}}
    return {
        "eventName": event,
        "dynamodb": {"Keys": {"pk": image["pk"], "sk": image["sk"]}, "NewImage": image},
    }


@pytest.mark.parametrize(
    "record",
    [
        _stream_record("INSERT", "REPORT"),
        _stream_record("INSERT", "EVENT#2026-01-05T01:00:00Z#abc"),
        _stream_record("INSERT", "SENT#r1:verified:reporter"),
        _stream_record("MODIFY", "REPORT"),
        _stream_record("MODIFY", "REPORT", has_outbox="yes"),
        _stream_record("MODIFY", "SENT#x", state="sent"),
        _stream_record("REMOVE", "REPORT", has_outbox="yes"),
        _stream_record("INSERT", "REPORT", has_outbox="yes"),
    ],
    ids=lambda record: (
        f"{record['eventName']}-{record['dynamodb']['NewImage']['sk']['S'][:6]}"
        f"-{'outbox' if 'has_outbox' in record['dynamodb']['NewImage'] else 'plain'}"
    ),
)
def test_stream_filter_agrees_with_the_local_stack(synth: Synth, record: dict[str, Any]) -> None:
    # Given the local stack's emulation of the deployed filter
    from local.pollers import matches_route_filter

    route_id, _ = synth.function(FUNCTIONS["route"])
    (mapping,) = [
        m["Properties"]
        for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": route_id}
    ]
    patterns = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    # Then the deployed patterns (ORed) deliver exactly the records the local poller delivers
    assert any(_matches(pattern, record) for pattern in patterns) == matches_route_filter(record)


def test_notify_queue_redrives_to_its_dlq_and_outlasts_the_function(synth: Synth) -> None:
    dlq_id, _ = synth.one("AWS::SQS::Queue", "NotifyQueueDeadLetterQueue")
    queue_id, queue = synth.one("AWS::SQS::Queue", "NotifyQueue6")
    props = queue["Properties"]
    assert props["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": 5,
    }
    notify_timeout = synth.function(FUNCTIONS["notify"])[1]["Properties"]["Timeout"]
    assert props["VisibilityTimeout"] >= 6 * notify_timeout
    notify_id, _ = synth.function(FUNCTIONS["notify"])
    (mapping,) = [
        m["Properties"]
        for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": notify_id}
    ]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BatchSize"] <= 10


def test_sla_check_runs_on_a_schedule_with_retries_and_a_dlq(synth: Synth) -> None:
    sla_id, _ = synth.function(FUNCTIONS["sla_check"])
    dlq_id, _ = synth.one("AWS::SQS::Queue", "SlaScheduleDeadLetterQueue")
    (schedule,) = [
        s
        for s in synth.of_type("AWS::Scheduler::Schedule").values()
        if json.loads(s["Properties"]["Target"]["Input"]) == {}
        and s["Properties"]["Target"]["Arn"] == {"Fn::GetAtt": [sla_id, "Arn"]}
    ]
    props = schedule["Properties"]
    assert props["ScheduleExpression"] == "rate(5 minutes)"
    assert props["State"] == "ENABLED"
    assert props["Target"]["Arn"] == {"Fn::GetAtt": [sla_id, "Arn"]}
    assert props["Target"]["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [dlq_id, "Arn"]}}
    assert props["Target"]["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert json.loads(props["Target"]["Input"]) == {}
    scheduler_role = props["Target"]["RoleArn"]["Fn::GetAtt"][0]
    statements = synth.role_statements(scheduler_role)
    assert _all_actions(statements) == {
        "lambda:InvokeFunction",
        "sqs:SendMessage",
        "kms:Decrypt",
        "kms:GenerateDataKey",
    }


def test_calendar_check_runs_daily_in_jakarta_time_on_the_sla_function(synth: Synth) -> None:
    sla_id, _ = synth.function(FUNCTIONS["sla_check"])
    _, schedule = synth.one("AWS::Scheduler::Schedule", "SlaScheduleCalendarCheck")
    props = schedule["Properties"]
    assert props["ScheduleExpression"] == "cron(30 0 * * ? *)"
    assert props["ScheduleExpressionTimezone"] == "Asia/Jakarta"
    assert props["Target"]["Arn"] == {"Fn::GetAtt": [sla_id, "Arn"]}
    assert json.loads(props["Target"]["Input"]) == {"check": "calendar"}


def test_ses_identity_and_configuration_set(synth: Synth) -> None:
    _, identity = synth.one("AWS::SES::EmailIdentity", "SenderIdentity")
    config_set_id, _ = synth.one("AWS::SES::ConfigurationSet", "SenderConfigurationSet")
    assert identity["Properties"]["EmailIdentity"] == "lapor.example.go.id"
    assert identity["Properties"]["ConfigurationSetAttributes"] == {
        "ConfigurationSetName": {"Ref": config_set_id}
    }
    assert {f"SesDkimRecord{n}" for n in (1, 2, 3)} <= set(synth.template["Outputs"])


def test_cognito_mails_through_ses_from_the_stack_sender(synth: Synth) -> None:
    config_set_id, _ = synth.one("AWS::SES::ConfigurationSet", "SenderConfigurationSet")
    _, pool = synth.one("AWS::Cognito::UserPool", "IdentityOfficials")
    email = pool["Properties"]["EmailConfiguration"]
    assert email["EmailSendingAccount"] == "DEVELOPER"
    assert email["From"] == "LAPOR! <no-reply@lapor.example.go.id>"
    assert email["SourceArn"] == {
        "Fn::Join": [
            "",
            ["arn:aws:ses:ap-southeast-3:", {"Ref": "AWS::AccountId"}, ":identity/lapor.example.go.id"],
        ]
    }
    assert email["ConfigurationSet"] == {"Ref": config_set_id}


# ---- least privilege ----------------------------------------------------------------------------


def test_no_role_can_scan_or_use_dynamodb_wildcards(synth: Synth) -> None:
    for role_id in synth.of_type("AWS::IAM::Role"):
        for action in _all_actions(synth.role_statements(role_id)):
            assert action != "dynamodb:Scan", role_id
            assert not (action.startswith("dynamodb:") and "*" in action), (role_id, action)
            assert action != "*", role_id


def test_router_cannot_send_email_or_sms(synth: Synth) -> None:
    actions = _all_actions(synth.function_statements(FUNCTIONS["route"]))
    assert not any(action.startswith(("ses:", "sns:")) for action in actions)
    assert "sqs:SendMessage" in actions
    assert {"dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream"} <= actions


def test_intake_has_no_scan_and_no_queue_or_messaging_access(synth: Synth) -> None:
    actions = _all_actions(synth.function_statements(FUNCTIONS["intake"]))
    assert "dynamodb:Scan" not in actions
    assert not any(action.startswith(("ses:", "sns:", "sqs:")) for action in actions)


def test_only_notify_and_the_evaluation_send_email_and_only_from_the_sender_address(synth: Synth) -> None:
    config_set_id, _ = synth.one("AWS::SES::ConfigurationSet", "SenderConfigurationSet")
    # The evaluation sends raw mail (MIME with its chart and CSV attached); notify plain SendEmail.
    senders = {"notify": ["ses:SendEmail"], "evaluation": ["ses:SendRawEmail"]}
    for name, prefix in FUNCTIONS.items():
        statements = synth.function_statements(prefix)
        ses = [s for s in statements if any(a.startswith("ses:") for a in _actions(s))]
        if name not in senders:
            assert not ses, name
            continue
        # Then one statement on the account's identities (the SES sandbox authorizes recipients'
        # identities too) and the configuration set, held to the sender address by ses:FromAddress
        # rather than by the identity's ARN
        (statement,) = ses
        assert _actions(statement) == senders[name]
        assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": "no-reply@lapor.example.go.id"}}
        resources = json.dumps(_resources(statement))
        assert ":identity/*" in resources and config_set_id in resources
        assert "*" not in _resources(statement)


def test_sms_publish_is_region_bound_and_notify_only(synth: Synth) -> None:
    for name, prefix in FUNCTIONS.items():
        statements = [s for s in synth.function_statements(prefix) if "sns:Publish" in _actions(s)]
        if name != "notify":
            assert not statements, name
            continue
        allow = [s for s in statements if s["Effect"] == "Allow"]
        deny = [s for s in statements if s["Effect"] == "Deny"]
        assert len(allow) == 1 and len(deny) == 1
        assert allow[0]["Condition"] == {"StringEquals": {"aws:RequestedRegion": "ap-southeast-3"}}
        # ... and never to a topic: only phone numbers, which have no ARN
        assert deny[0]["Resource"] == "arn:aws:sns:*:*:*"


def test_sla_check_queries_only_the_due_and_undelivered_indexes(synth: Synth) -> None:
    statements = synth.function_statements(FUNCTIONS["sla_check"])
    index_resources = [
        json.dumps(resource)
        for statement in statements
        for resource in _resources(statement)
        if "/index/" in json.dumps(resource)
    ]
    assert {
        index for index in (DUE_INDEX, UNDELIVERED_INDEX) if any(index in r for r in index_resources)
    } == {
        DUE_INDEX,
        UNDELIVERED_INDEX,
    }
    assert all(f"/index/{DUE_INDEX}" in r or f"/index/{UNDELIVERED_INDEX}" in r for r in index_resources)
    # It sends nothing itself but the re-drive of lost messages, to the notify queue alone
    actions = _all_actions(statements)
    assert not any(action.startswith(("ses:", "sns:")) for action in actions)
    assert {action for action in actions if action.startswith("sqs:")} == {"sqs:SendMessage"}
    notify_queue_id, _ = synth.one("AWS::SQS::Queue", "NotifyQueue6")
    sqs_resources = [
        json.dumps(_resources(s)) for s in statements if any(a.startswith("sqs:") for a in _actions(s))
    ]
    assert sqs_resources and all(notify_queue_id in r for r in sqs_resources)


def test_lost_message_redrives_and_abandons_raise_alarms(synth: Synth) -> None:
    alarms = synth.template["Resources"].values()
    names = {
        a["Properties"]["MetricName"]
        for a in alarms
        if a["Type"] == "AWS::CloudWatch::Alarm" and "MetricName" in a["Properties"]
    }
    assert {"NotificationsRedriven", "NotificationsAbandoned"} <= names


def test_notify_table_access_is_limited_to_markers_and_reads(synth: Synth) -> None:
    statements = synth.function_statements(FUNCTIONS["notify"])
    dynamodb = {a for a in _all_actions(statements) if a.startswith("dynamodb:")}
    assert dynamodb == {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
    idempotency_id, _ = synth.one("AWS::DynamoDB::Table", f"Data{IDEMPOTENCY.logical_id}")
    directory_id, _ = synth.one("AWS::DynamoDB::Table", f"Data{DIRECTORY.logical_id}")
    for statement in statements:
        resources = json.dumps(_resources(statement))
        assert idempotency_id not in resources
        if directory_id in resources:
            assert _actions(statement) == ["dynamodb:GetItem"] or _actions(statement) == "dynamodb:GetItem"


# ---- observability ------------------------------------------------------------------------------


def test_alarms_cover_the_pipeline_and_notify_the_ops_topic(synth: Synth) -> None:
    topic_id, _ = synth.one("AWS::SNS::Topic", "ObservabilityOpsTopic")
    alarms = synth.of_type("AWS::CloudWatch::Alarm")
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
    metrics = [(a["Properties"].get("Namespace"), a["Properties"].get("MetricName")) for a in alarms.values()]
    assert metrics.count(("AWS/Lambda", "Errors")) == len(FUNCTIONS)
    assert metrics.count(("AWS/Lambda", "Throttles")) == len(FUNCTIONS)
    for name in (
        "DeliveryConfigurationErrors",
        "SmsDeliveryFailures",
        "NotificationsAwaitingSenderVerification",
        "CalendarYearsWithoutJointLeave",
    ):
        assert ("Lapor", name) in metrics, name
    assert ("AWS/Lambda", "IteratorAge") in metrics
    assert metrics.count(("AWS/SQS", "ApproximateNumberOfMessagesVisible")) == 5
    assert ("AWS/SNS", "SMSMonthToDateSpentUSD") in metrics
    assert ("AWS/ApiGateway", "5XXError") in metrics
    dlq_alarms = [
        a["Properties"]
        for a in alarms.values()
        if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
    ]
    for alarm in dlq_alarms:
        assert alarm["Threshold"] == 1
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_dashboard_exists(synth: Synth) -> None:
    assert len(synth.of_type("AWS::CloudWatch::Dashboard")) == 1


def test_outputs_operators_rely_on(synth: Synth) -> None:
    outputs = synth.template["Outputs"]
    for name in (
        "ApiUrl",
        "AggregatesTableName",
        "DataBucketName",
        "EvaluationFunctionName",
        "AthenaWorkGroupName",
        "GlueDatabaseName",
        "ReportsTableName",
        "DirectoryTableName",
        "NotifyQueueUrl",
        "NotifyDlqUrl",
        "RouteFailureQueueUrl",
        "UserPoolId",
        "UserPoolClientId",
    ):
        assert name in outputs, name
    reports_id, _ = synth.one("AWS::DynamoDB::Table", "DataReports")
    assert outputs["ReportsTableName"]["Value"] == {"Ref": reports_id}


# ---- context options --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def variant(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The stack of a second stage in the same account: identity and SMS logging imported, SnapStart on."""
    from tests.infra.conftest import SKIP_BUNDLING, load_app_module

    outdir = tmp_path_factory.mktemp("cdk.variant")
    context = {
        **SKIP_BUNDLING,
        "stage": "test",
        "sesIdentity": "existing",
        "smsDeliveryStatus": "existing",
        "snapStart": "true",
    }
    load_app_module().build_app(context=context, outdir=str(outdir), nag=False).synth()
    return json.loads((outdir / "Lapor-test.template.json").read_text())


def test_an_existing_ses_identity_is_used_not_created(variant: dict[str, Any]) -> None:
    resources = variant["Resources"].values()
    assert not [r for r in resources if r["Type"] == "AWS::SES::EmailIdentity"]
    assert not [name for name in variant["Outputs"] if name.startswith("SesDkimRecord")]
    # ... while sending and Cognito still name it, by ARN
    [pool] = [r for r in resources if r["Type"] == "AWS::Cognito::UserPool"]
    assert ":identity/lapor.example.go.id" in json.dumps(
        pool["Properties"]["EmailConfiguration"]["SourceArn"]
    )
    # ... and the account's SMS settings and log group are another stage's: only a subscription here
    assert not [
        r for r in resources if r["Type"] == "AWS::IAM::Role" and "sns.amazonaws.com" in json.dumps(r)
    ]
    assert not [r for r in resources if r["Type"] == "Custom::AWS"]
    [subscription] = [r for r in resources if r["Type"] == "AWS::Logs::SubscriptionFilter"]
    assert "DirectPublishToPhoneNumber/Failure" in json.dumps(subscription["Properties"]["LogGroupName"])


def test_snap_start_publishes_a_version_and_the_api_invokes_its_alias(variant: dict[str, Any]) -> None:
    resources = variant["Resources"]
    [(intake_id, intake)] = [
        (n, r)
        for n, r in resources.items()
        if n.startswith("IntakeApiFunction") and r["Type"] == "AWS::Lambda::Function"
    ]
    assert intake["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    [(alias_id, alias)] = [(n, r) for n, r in resources.items() if r["Type"] == "AWS::Lambda::Alias"]
    assert alias["Properties"]["Name"] == "live"
    [version] = [r for r in resources.values() if r["Type"] == "AWS::Lambda::Version"]
    assert version["Properties"]["FunctionName"] == {"Ref": intake_id}
    for method in (r for r in resources.values() if r["Type"] == "AWS::ApiGateway::Method"):
        if method["Properties"]["HttpMethod"] != "OPTIONS":
            assert alias_id in json.dumps(method["Properties"]["Integration"]["Uri"])
    assert "ApiFunctionAlias" in variant["Outputs"]


def test_sms_settings_sms_max_price_and_delivery_status(synth: Synth) -> None:
    # Given the default stage: the notify function's per-message cap, above one part to Indonesia
    from bench.prices import PRICES

    notify = synth.function(FUNCTIONS["notify"])[1]["Properties"]["Environment"]["Variables"]
    assert float(notify["LAPOR_SMS_MAX_PRICE"]) >= PRICES.sms_indonesia_per_part_usd
    # Then the account's SMS settings name the delivery-status role and log every failure
    [settings] = [r for r in synth.resources.values() if r["Type"] == "Custom::AWS"]
    create = json.dumps(settings["Properties"]["Create"])
    assert "setSMSAttributes" in create and "DeliveryStatusIAMRole" in create
    assert '\\"DeliveryStatusSuccessSamplingRate\\":\\"0\\"' in create
    role_id, role = synth.one("AWS::IAM::Role", "SmsDeliveryStatusLoggingRole")
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "sns.amazonaws.com"
    }
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    }
    assert role_id in create
    # ... and the failures reach the sms_status function through a subscription filter on FAILURE lines
    sms_status_id, _ = synth.function(FUNCTIONS["sms_status"])
    [subscription] = synth.of_type("AWS::Logs::SubscriptionFilter").values()
    assert subscription["Properties"]["DestinationArn"] == {"Fn::GetAtt": [sms_status_id, "Arn"]}
    assert subscription["Properties"]["FilterPattern"] == '{ $.status = "FAILURE" }'
