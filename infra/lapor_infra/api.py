"""The intake function behind a REST API: public routes, officials' routes, throttling and WAF."""

from __future__ import annotations

import json
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from lapor.adapters.schema import INBOX_INDEXES, PUBLIC_INDEX
from lapor.domain.catalogue import bilingual
from lapor_infra import constants as c
from lapor_infra import iam
from lapor_infra.config import LaporConfig
from lapor_infra.data import Data
from lapor_infra.functions import LaporFunction, pipeline_environment
from lapor_infra.identity import Identity
from lapor_infra.nag import XRAY_REASON, acknowledge
from lapor_infra.notifications import NotifyQueue
from lapor_infra.uploads import Uploads


@dataclass(frozen=True)
class Route:
    """One method of the HTTP API contract (DESIGN.md); ``official`` routes need a Cognito ID token."""

    method: str
    path: str
    official: bool = False
    query: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()


OPEN311 = "/open311/v2"
OPEN311_FILTERS = (
    "jurisdiction_id",
    "service_request_id",
    "service_code",
    "start_date",
    "end_date",
    "status",
)
ROUTES = (
    Route("POST", "/reports", headers=("Idempotency-Key",)),
    Route("GET", "/reports/{id}"),
    Route("POST", "/reports/{id}/feedback"),
    Route("GET", "/reports/{id}/timeline", query=("cursor",)),
    Route("GET", "/categories"),
    Route("GET", "/regions", query=("q", "parent", "limit")),
    Route("GET", "/messages"),
    Route("POST", "/uploads"),
    Route("GET", "/stats", query=("period",)),
    Route("GET", "/openapi.json"),
    Route("GET", "/agencies"),
    Route("GET", "/auth/config"),
    Route(
        "GET",
        "/inbox",
        official=True,
        query=("scope", "status", "overdue", "q", "category", "track", "sort", "limit", "cursor"),
    ),
    Route("GET", "/inbox/summary", official=True),
    Route("GET", "/me", official=True),
    Route("GET", "/officials", official=True, query=("agency",)),
    Route("POST", "/reports/{id}/actions", official=True),
    Route("GET", "/reports/{id}/attachments", official=True),
    # Open311 GeoReport v2 (lapor.http.open311): each resource as .json and .xml, a partner's
    # api_key checked by the function; throttled by the stage and covered by the WAF like the rest.
    *(
        Route("GET", f"{OPEN311}/{name}.{fmt}", query=query)
        for name, query in (
            ("discovery", ()),
            ("services", ("jurisdiction_id",)),
            ("requests", OPEN311_FILTERS),
        )
        for fmt in ("json", "xml")
    ),
    *(Route("POST", f"{OPEN311}/requests.{fmt}", headers=("Idempotency-Key",)) for fmt in ("json", "xml")),
    Route("GET", f"{OPEN311}/services/{{service_code}}", query=("jurisdiction_id",)),
    Route("GET", f"{OPEN311}/requests/{{service_request_id}}", query=("jurisdiction_id",)),
    Route("GET", f"{OPEN311}/tokens/{{token}}", query=("jurisdiction_id",)),
    # Anything else under /open311/v2/ (services.html, a missing format) reaches the function too,
    # so every Open311 refusal is the specification's [{code, description}], not API Gateway's own.
    Route("GET", f"{OPEN311}/{{proxy+}}"),
    Route("POST", f"{OPEN311}/{{proxy+}}"),
)
CORS_HEADERS = ("Content-Type", "Authorization", "Idempotency-Key")


class IntakeApi(Construct):
    """REST API (regional, one stage) -> intake function, proxy integration on explicit routes only."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LaporConfig,
        data: Data,
        layer: lambda_.ILayerVersion,
        notify_queue: NotifyQueue,
        identity: Identity,
        uploads: Uploads,
    ) -> None:
        super().__init__(scope, construct_id)
        # Receipts of submissions with an Idempotency-Key are derived from this secret and the raw key,
        # so a retry gets its receipt back while no table stores it (docs/decisions.md).
        self.receipt_secret = secretsmanager.Secret(
            self,
            "ReceiptSecret",
            description="Lapor: key from which receipts of keyed submissions are derived",
            encryption_key=data.key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
        )
        acknowledge(
            self.receipt_secret,
            "AwsSolutions-SMG4",
            "Not rotated automatically: a new value only changes the receipts of retries of keyed "
            "submissions made before it (24 hours at most); operators rotate it by hand (docs/operations.md).",
        )
        self.handler = LaporFunction(
            self,
            "Function",
            spec=c.INTAKE,
            layer=layer,
            config=config,
            environment={
                **pipeline_environment(config, data, notify_queue.queue.queue_url),
                "LAPOR_IDEMPOTENCY_TABLE": data.idempotency.table_name,
                "LAPOR_RECEIPT_SECRET": self.receipt_secret.secret_arn,
                "LAPOR_USER_POOL_ID": identity.user_pool.user_pool_id,
                "LAPOR_USER_POOL_CLIENT_ID": identity.client.user_pool_client_id,
                "LAPOR_MFA_REQUIRED": "true" if config.mfa_required else "false",
                "LAPOR_CORS_ORIGINS": ",".join(config.cors_origins),
                "LAPOR_UPLOADS_BUCKET": uploads.bucket_name,
                "LAPOR_AGGREGATES_TABLE": data.aggregates.table_name,
            },
        )
        role = self.handler.role
        # Reports: submit, track, officials' inbox and actions, Open311's lists of reports whose text
        # is public (public index).
        # Messages a change causes ride in the report item's outbox and reach the notify queue through
        # the stream and the router (transactional outbox), so intake never sends to the queue.
        # A report is read alone (actions) or with its timeline (a Query of its partition), and written
        # with its timeline events in one transaction (Puts: the item is rewritten whole, never updated).
        # DeleteItem: a forwarded or reassigned report leaves the previous inboxes in the same transaction.
        iam.table(
            role,
            data.reports,
            ["GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem"],
            query_indexes=[*INBOX_INDEXES, PUBLIC_INDEX],
        )
        # Statistics: GET /stats reads only the counters the tally keeps.
        iam.table(role, data.aggregates, ["Query"])
        # Directory document, the officials' open-report counters (changed with actions) and the hashes
        # of Open311 partners' api_keys (read only: operators create and revoke them).
        iam.table(role, data.directory, ["GetItem", "Query", "UpdateItem"])
        # Idempotency-Key records: a submission writes its own in the report transaction, officials'
        # actions go through powertools' idempotency layer. Contacts' daily counters of new reports
        # are updated in the same transaction there too (the table's TTL ends them).
        iam.table(role, data.idempotency, ["GetItem", "PutItem", "UpdateItem", "DeleteItem"])
        iam.key(role, data.key, iam.KMS_USE)
        # The receipt secret, read once per warm function on the first keyed submission.
        iam.allow(role, ["secretsmanager:GetSecretValue"], [self.receipt_secret.secret_arn])
        # Attachments: presigned POSTs are signed with this role, and the bucket's key encrypts them.
        uploads.grant_intake(role)
        # Whether an admin or supervisor has enrolled TOTP (the API requires it with mfa=required).
        iam.allow(role, ["cognito-idp:AdminGetUser"], [identity.user_pool.user_pool_arn])
        acknowledge(role, "AwsSolutions-IAM5[Resource::*]", XRAY_REASON)

        # One line per request with the client's IP address: personal data, so under the stack's key.
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=config.log_retention, encryption_key=data.key
        )
        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=f"lapor-{config.stage}",
            description=f"Lapor {config.stage}: public complaints API",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
                stage_name=c.API_STAGE,
                throttling_rate_limit=config.api_rate_limit,
                throttling_burst_limit=config.api_burst_limit,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # request bodies carry reporters' personal data
                metrics_enabled=True,
                tracing_enabled=True,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=_access_log_format(),
            ),
            default_cors_preflight_options=apigw.CorsOptions(
                allow_origins=list(config.cors_origins),
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=list(CORS_HEADERS),
                max_age=Duration.hours(1),
            ),
        )
        acknowledge(
            self.api,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
            "API Gateway's account-level CloudWatch role uses the AWS managed policy made for it; it only "
            "lets API Gateway write its execution logs.",
        )
        acknowledge(
            self.api,
            "AwsSolutions-APIG4",
            "Public routes are open by design (citizens report anonymously; feedback is authorised by the "
            "report's secret receipt inside the function); they are rate-limited by the stage and WAF. "
            "Officials' routes use the Cognito authorizer. CORS preflight (OPTIONS) carries no credentials.",
        )
        acknowledge(
            self.api,
            "AwsSolutions-COG4",
            "Only officials' routes (/inbox, /inbox/summary, /me, /officials, /reports/{id}/actions) take a "
            "Cognito user; public routes and CORS preflight (OPTIONS) cannot, by design. GET /reports/{id} "
            "is public and verifies an official's optional token itself.",
        )
        self.api.node.try_remove_child("Endpoint")  # the stack's ApiUrl output says the same
        # API Gateway would create its execution-log group itself, without retention; own it instead.
        self.execution_logs = logs.LogGroup(
            self,
            "ExecutionLogs",
            log_group_name=f"API-Gateway-Execution-Logs_{self.api.rest_api_id}/{c.API_STAGE}",
            retention=config.log_retention,
        )
        self.api.deployment_stage.node.add_dependency(self.execution_logs)
        self._gateway_responses(config)

        authorizer = apigw.CognitoUserPoolsAuthorizer(
            self,
            "OfficialsAuthorizer",
            cognito_user_pools=[identity.user_pool],
            identity_source=apigw.IdentitySource.header("Authorization"),
            results_cache_ttl=Duration.minutes(5),
        )
        validator = self.api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True
        )
        integration = apigw.LambdaIntegration(self.entry_point(config), proxy=True, allow_test_invoke=False)
        for route in ROUTES:
            resource = self.api.root.resource_for_path(route.path)
            parameters = {f"method.request.path.{name}": True for name in _path_parameters(route.path)}
            parameters.update({f"method.request.querystring.{name}": False for name in route.query})
            parameters.update({f"method.request.header.{name}": False for name in route.headers})
            if route.official:
                parameters["method.request.header.Authorization"] = True
            resource.add_method(
                route.method,
                integration,
                request_parameters=parameters,
                request_validator=validator,
                authorization_type=apigw.AuthorizationType.COGNITO
                if route.official
                else apigw.AuthorizationType.NONE,
                authorizer=authorizer if route.official else None,
            )

        self.web_acl = _web_acl(self, config)
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.api.deployment_stage.stage_arn,
            web_acl_arn=self.web_acl.attr_arn,
        )

    def entry_point(self, config: LaporConfig) -> lambda_.IFunction:
        """What API Gateway invokes: the function, or with ``-c snapStart=true`` its ``live`` alias.

        SnapStart restores a snapshot taken after the module imports, but only of a published
        version, so the integration must name a version (through an alias), never ``$LATEST``. Each
        deploy publishes a new version when the code or configuration changed (docs/decisions.md).
        """
        if not config.snap_start:
            return self.handler.function
        cfn = self.handler.function.node.default_child
        assert isinstance(cfn, lambda_.CfnFunction)
        cfn.snap_start = lambda_.CfnFunction.SnapStartProperty(apply_on="PublishedVersions")
        self.alias = lambda_.Alias(
            self,
            "Live",
            alias_name="live",
            version=self.handler.function.current_version,
            description="The version API Gateway invokes (SnapStart restores published versions only)",
        )
        return self.alias

    def _gateway_responses(self, config: LaporConfig) -> None:
        """JSON errors from API Gateway itself; CORS headers on them when a single origin is configured."""
        headers = {}
        if len(config.cors_origins) == 1:
            headers["Access-Control-Allow-Origin"] = f"'{config.cors_origins[0]}'"
        for name, response_type in (
            ("Default4xx", apigw.ResponseType.DEFAULT_4_XX),
            ("Default5xx", apigw.ResponseType.DEFAULT_5_XX),
        ):
            self.api.add_gateway_response(name, type=response_type, response_headers=headers or None)
        # An undeclared path is "not found", not API Gateway's "Missing Authentication Token" 403.
        # API Gateway answers these before any function runs, so it cannot read Accept-Language:
        # they are worded in both languages, from the same catalogue.
        for name, response_type, status, message_id in (
            ("NotFound", apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, "404", "route_not_found"),
            ("Unauthorized", apigw.ResponseType.UNAUTHORIZED, "401", "sign_in"),
        ):
            self.api.add_gateway_response(
                name,
                type=response_type,
                status_code=status,
                response_headers=headers or None,
                templates={"application/json": _refusal_template(message_id)},
            )


def _refusal_template(message_id: str) -> str:
    """An API Gateway response body in the API's error shape, worded in both languages."""
    return json.dumps(
        {"message": bilingual(message_id), "code": message_id, "errors": []}, ensure_ascii=False
    )


def _path_parameters(path: str) -> list[str]:
    # A greedy {proxy+} is the parameter "proxy".
    return [part[1:-1].rstrip("+") for part in path.split("/") if part.startswith("{") and part.endswith("}")]


def _access_log_format() -> apigw.AccessLogFormat:
    """One JSON line per request; no bodies, no tokens, no query strings (they may carry personal data)."""
    field = apigw.AccessLogField
    return apigw.AccessLogFormat.custom(
        json.dumps(
            {
                "requestId": field.context_request_id(),
                "requestTime": field.context_request_time(),
                "ip": field.context_identity_source_ip(),
                "method": field.context_http_method(),
                "resource": field.context_resource_path(),
                "status": field.context_status(),
                "protocol": field.context_protocol(),
                "responseLength": field.context_response_length(),
                "responseLatency": field.context_response_latency(),
                "integrationLatency": field.context_integration_latency(),
                "integrationStatus": field.context_integration_status(),
                "errorType": field.context_error_response_type(),
                "wafStatus": field.context_waf_response_code(),
                "xrayTraceId": field.context_xray_trace_id(),
            }
        )
    )


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


def _web_acl(scope: Construct, config: LaporConfig) -> wafv2.CfnWebACL:
    """Per-IP rate limits (a stricter one for POSTs) and AWS's bad-input and IP-reputation lists.

    Limits are generous: Indonesian mobile carriers put many subscribers behind one carrier-grade NAT
    address. AWS's common rule set is left out on purpose: its body-size and XSS rules would reject
    long or link-bearing complaint texts, which the function validates itself.
    """
    rules = [
        wafv2.CfnWebACL.RuleProperty(
            name="RateLimitPerIp",
            priority=0,
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    aggregate_key_type="IP", limit=config.waf_rate_limit, evaluation_window_sec=300
                )
            ),
            visibility_config=_visibility("LaporRateLimitPerIp"),
        ),
        wafv2.CfnWebACL.RuleProperty(
            name="WriteRateLimitPerIp",
            priority=1,
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    aggregate_key_type="IP",
                    limit=config.waf_submit_rate_limit,
                    evaluation_window_sec=300,
                    scope_down_statement=wafv2.CfnWebACL.StatementProperty(
                        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(method={}),
                            positional_constraint="EXACTLY",
                            search_string="POST",
                            text_transformations=[
                                wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
                            ],
                        )
                    ),
                )
            ),
            visibility_config=_visibility("LaporWriteRateLimitPerIp"),
        ),
    ]
    for priority, group in enumerate(
        ("AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesKnownBadInputsRuleSet"), start=2
    ):
        rules.append(
            wafv2.CfnWebACL.RuleProperty(
                name=group,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=group
                    )
                ),
                visibility_config=_visibility(f"Lapor{group}"),
            )
        )
    return wafv2.CfnWebACL(
        scope,
        "WebAcl",
        scope="REGIONAL",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=_visibility(f"lapor-{config.stage}-api"),
        rules=rules,
    )
