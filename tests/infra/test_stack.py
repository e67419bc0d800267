"""The synthesized stack against the design: tables from lapor.schema, the API contract, the pipeline's
event sources, encryption, least privilege and alarms."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match

from lapor.adapters.schema import ALL_TABLES, DIRECTORY, DUE_INDEX, IDEMPOTENCY, REPORTS, TableSpec
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
}
PUBLIC_ROUTES = {
    ("POST", "/reports"),
    ("GET", "/reports/{id}"),
    ("GET", "/categories"),
    ("GET", "/stats"),
    ("GET", "/openapi.json"),
    ("POST", "/reports/{id}/feedback"),
}
OFFICIAL_ROUTES = {("GET", "/inbox"), ("POST", "/reports/{id}/actions")}


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
    assert {index.name for index in REPORTS.indexes} == {"inbox", "due", "period"}


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


def _newest_python_runtime() -> str:
    versions = [
        tuple(int(part) for part in name.removeprefix("PYTHON_").split("_"))
        for name in dir(lambda_.Runtime)
        if name.startswith("PYTHON_3_")
    ]
    major, minor = max(versions)
    return f"python{major}.{minor}"


def test_every_function_runs_the_newest_python_on_arm64_with_tracing(synth: Synth) -> None:
    functions = synth.of_type("AWS::Lambda::Function")
    assert len(functions) == 7
    (layer_id, layer) = synth.one("AWS::Lambda::LayerVersion", "CommonLayer")
    assert layer["Properties"]["CompatibleRuntimes"] == [_newest_python_runtime()]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    for function in functions.values():
        props = function["Properties"]
        assert props["Runtime"] == _newest_python_runtime() == "python3.14"
        assert props["Architectures"] == ["arm64"]
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert props["Layers"][0] == {"Ref": layer_id}
        assert 512 <= props["MemorySize"] <= 2048
        assert "LogGroup" in props["LoggingConfig"]
    # The jobs' heavy libraries sit in their own layers, never on the API's or the stream's functions.
    charts_id, _ = synth.one("AWS::Lambda::LayerVersion", "MonthlyJobsChartsLayer")
    parquet_id, _ = synth.one("AWS::Lambda::LayerVersion", "MonthlyJobsParquetLayer")
    layers_of = {
        name: [ref["Ref"] for ref in synth.function(prefix)[1]["Properties"]["Layers"]]
        for name, prefix in FUNCTIONS.items()
    }
    assert layers_of["evaluation"] == [layer_id, charts_id]
    assert layers_of["export"] == [layer_id, parquet_id]
    assert all(
        layers == [layer_id] for name, layers in layers_of.items() if name not in ("evaluation", "export")
    )


@pytest.mark.parametrize(
    ("name", "handler", "timeout"),
    [
        ("intake", "intake_app.lambda_handler", 20),
        ("route", "route_app.lambda_handler", 60),
        ("sla_check", "sla_check_app.lambda_handler", 60),
        ("notify", "notify_app.lambda_handler", 30),
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
    assert len(set(roles)) == 7
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
        "tally": {"LAPOR_AGGREGATES_TABLE"},
        "evaluation": {
            "LAPOR_AGGREGATES_TABLE",
            "LAPOR_DATA_BUCKET",
            "LAPOR_SENDER_EMAIL",
            "LAPOR_SES_CONFIGURATION_SET",
        },
        "export": {"LAPOR_DATA_BUCKET"},
    }
    for name, prefix in FUNCTIONS.items():
        variables = synth.function(prefix)[1]["Properties"]["Environment"]["Variables"]
        lapor = {key for key in variables if key.startswith("LAPOR_")}
        assert lapor == required | extra[name], name
        assert lapor <= set(ENVIRONMENT), name
        assert {key: variables[key] for key in powertools} == powertools
        assert variables["POWERTOOLS_LOG_LEVEL"] in {"DEBUG", "INFO", "WARNING", "ERROR"}
    notify = synth.function(FUNCTIONS["notify"])[1]["Properties"]["Environment"]["Variables"]
    assert notify["LAPOR_SENDER_EMAIL"] == "no-reply@lapor.example.go.id"
    assert notify["LAPOR_SMS_ENABLED"] == "true"


def test_log_groups_have_retention(synth: Synth) -> None:
    groups = synth.of_type("AWS::Logs::LogGroup")
    assert len(groups) == 9  # seven functions, the API's access log and its execution log
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == 90


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
    assert routes == PUBLIC_ROUTES | OFFICIAL_ROUTES


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
    assert props["MfaConfiguration"] == "ON"
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


# ---- pipeline -----------------------------------------------------------------------------------


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
    _, schedule = synth.one("AWS::Scheduler::Schedule", "SlaSchedule")
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


def test_ses_identity_and_configuration_set(synth: Synth) -> None:
    _, identity = synth.one("AWS::SES::EmailIdentity", "NotificationsSenderIdentity")
    config_set_id, _ = synth.one("AWS::SES::ConfigurationSet", "NotificationsConfigurationSet")
    assert identity["Properties"]["EmailIdentity"] == "lapor.example.go.id"
    assert identity["Properties"]["ConfigurationSetAttributes"] == {
        "ConfigurationSetName": {"Ref": config_set_id}
    }


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


def test_only_notify_and_the_evaluation_send_email_and_only_as_the_sender_identity(synth: Synth) -> None:
    identity_id, _ = synth.one("AWS::SES::EmailIdentity", "NotificationsSenderIdentity")
    senders = {"notify": {"ses:SendEmail", "ses:SendRawEmail"}, "evaluation": {"ses:SendRawEmail"}}
    for name, prefix in FUNCTIONS.items():
        statements = synth.function_statements(prefix)
        ses = [s for s in statements if any(a.startswith("ses:") for a in _actions(s))]
        if name not in senders:
            assert not ses, name
            continue
        assert ses
        for statement in ses:
            assert set(_actions(statement)) <= senders[name]
            resources = json.dumps(_resources(statement))
            assert "*" not in _resources(statement)
            assert identity_id in resources
            assert ":identity/" in resources


def test_sms_publish_is_region_bound_and_notify_only(synth: Synth) -> None:
    for name, prefix in FUNCTIONS.items():
        statements = [s for s in synth.function_statements(prefix) if "sns:Publish" in _actions(s)]
        if name != "notify":
            assert not statements, name
            continue
        (statement,) = statements
        assert statement["Condition"] == {"StringEquals": {"aws:RequestedRegion": "ap-southeast-3"}}


def test_sla_check_queries_only_the_due_index(synth: Synth) -> None:
    statements = synth.function_statements(FUNCTIONS["sla_check"])
    index_resources = [
        json.dumps(resource)
        for statement in statements
        for resource in _resources(statement)
        if "/index/" in json.dumps(resource)
    ]
    assert index_resources
    assert all(f"/index/{DUE_INDEX}" in resource for resource in index_resources)
    actions = _all_actions(statements)
    assert not any(action.startswith(("ses:", "sns:", "sqs:")) for action in actions)


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
    assert metrics.count(("AWS/Lambda", "Errors")) == 7
    assert metrics.count(("AWS/Lambda", "Throttles")) == 7
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


def test_tally_reads_every_report_change_and_writes_only_counters(synth: Synth) -> None:
    tally_id, _ = synth.function(FUNCTIONS["tally"])
    (mapping,) = [
        m["Properties"]
        for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": tally_id}
    ]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    (pattern,) = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    assert pattern["eventName"] == ["INSERT", "MODIFY"]
    assert pattern["dynamodb"]["NewImage"]["sk"]["S"] == ["REPORT"]
    aggregates_id, _ = synth.one("AWS::DynamoDB::Table", "DataAggregates")
    table_statements = [
        s
        for s in synth.function_statements(FUNCTIONS["tally"])
        if any(
            a.startswith("dynamodb:")
            and "Stream" not in a
            and "Records" not in a
            and "ShardIterator" not in a
            for a in _actions(s)
        )
    ]
    assert {a for s in table_statements for a in _actions(s)} == {"dynamodb:UpdateItem"}
    assert aggregates_id in json.dumps([_resources(s) for s in table_statements])


def test_monthly_jobs_run_the_first_of_the_month_in_jakarta_time(synth: Synth) -> None:
    schedules = {
        k: v["Properties"]
        for k, v in synth.of_type("AWS::Scheduler::Schedule").items()
        if k.startswith("MonthlyJobs")
    }
    expressions = sorted(
        (p["ScheduleExpression"], p["ScheduleExpressionTimezone"]) for p in schedules.values()
    )
    assert expressions == [("cron(0 1 1 * ? *)", "Asia/Jakarta"), ("cron(0 2 1 * ? *)", "Asia/Jakarta")]
    for props in schedules.values():
        assert "Arn" in props["Target"]["DeadLetterConfig"]


def test_data_bucket_is_kms_encrypted_private_retained_and_has_a_lifecycle(synth: Synth) -> None:
    _, bucket = synth.one("AWS::S3::Bucket", "OpenDataBucket")
    props = bucket["Properties"]
    encryption = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ]
    assert encryption["SSEAlgorithm"] == "aws:kms"
    assert props["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True
    assert bucket["DeletionPolicy"] == "Retain"
    rules = {rule.get("Id"): rule for rule in props["LifecycleConfiguration"]["Rules"]}
    assert rules["evaluations-to-colder-storage"]["Prefix"] == "evaluations/"
    # The evaluation may write evaluations/ only; the export open-data/ only.
    for name, prefix in (("evaluation", "evaluations/*"), ("export", "open-data/reports/*")):
        puts = [s for s in synth.function_statements(FUNCTIONS[name]) if "s3:PutObject" in _actions(s)]
        assert len(puts) == 1 and prefix in json.dumps(_resources(puts[0])), name


def test_glue_table_matches_the_export_and_athena_keeps_results_encrypted(synth: Synth) -> None:
    from lapor.domain.open_data import COLUMNS

    _, table = synth.one("AWS::Glue::Table", "OpenDataReportsTable")
    table_input = table["Properties"]["TableInput"]
    columns = [(c["Name"], c["Type"]) for c in table_input["StorageDescriptor"]["Columns"]]
    assert columns == [(name, kind) for name, kind, _ in COLUMNS]
    assert [k["Name"] for k in table_input["PartitionKeys"]] == ["year", "month"]
    assert table_input["Parameters"]["projection.enabled"] == "true"
    assert "year=${year}/month=${month}/" in json.dumps(
        table_input["Parameters"]["storage.location.template"]
    )
    _, workgroup = synth.one("AWS::Athena::WorkGroup", "OpenDataWorkGroup")
    configuration = workgroup["Properties"]["WorkGroupConfiguration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["ResultConfiguration"]["EncryptionConfiguration"]["EncryptionOption"] == "SSE_KMS"
