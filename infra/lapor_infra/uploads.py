"""Reporters' attachments: a private, KMS-encrypted bucket and the function that cleans each upload.

The bucket is never public: browsers POST to it with presigned forms the API issues (CORS allows the
site's origins), and officials GET cleaned copies through five-minute presigned URLs. Its lifecycle
(``lapor.adapters.uploads.lifecycle_rules``, shared with the local stack) removes raw posts after a
day and files no report named after two. S3 invokes the attachments function on every object
created under ``incoming/``; the function re-encodes photos without EXIF/GPS (Pillow, in a layer of
its own) and writes ``clean/``.

The notification is CloudFormation's own (no CDK custom resource): the bucket has a fixed name, so
the function's permission and every grant name the bucket by ARN without referring to it, and the
bucket is created after the permission S3 checks.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam_
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from lapor.adapters.uploads import ATTACHED, CLEAN, INCOMING, lifecycle_rules
from lapor_infra import constants as c
from lapor_infra import iam
from lapor_infra.bundling import imaging_layer_code
from lapor_infra.config import LaporConfig
from lapor_infra.data import Data
from lapor_infra.functions import LaporFunction
from lapor_infra.nag import XRAY_REASON, acknowledge


class Uploads(Construct):
    """The uploads bucket, the imaging layer and the attachments function."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LaporConfig,
        data: Data,
        layer: lambda_.ILayerVersion,
    ) -> None:
        super().__init__(scope, construct_id)
        self.stage = config.stage
        self.key = data.key
        self.bucket_name = f"lapor-{config.stage}-uploads-{Aws.ACCOUNT_ID}-{Aws.REGION}"
        self.bucket_arn = f"arn:{Aws.PARTITION}:s3:::{self.bucket_name}"

        self.imaging_layer = lambda_.LayerVersion(
            self,
            "ImagingLayer",
            code=imaging_layer_code(),
            compatible_runtimes=[c.RUNTIME],
            compatible_architectures=[c.ARCHITECTURE],
            description="Pillow, for the attachments function only",
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.handler = LaporFunction(
            self,
            "Function",
            spec=c.ATTACHMENTS,
            layer=layer,
            extra_layers=[self.imaging_layer],
            config=config,
            environment={"LAPOR_UPLOADS_BUCKET": self.bucket_name},
        )
        function = self.handler.function
        function.configure_async_invoke(
            retry_attempts=c.ATTACHMENTS_RETRY_ATTEMPTS, max_event_age=c.ATTACHMENTS_MAX_EVENT_AGE
        )
        role = self.handler.role
        # Read and remove the raw post; write the cleaned copy with its tag; look for the attached mark.
        # ListBucket makes a missing key a 404 (not a 403), which is how "not there yet" is read.
        iam.allow(role, ["s3:GetObject", "s3:DeleteObject"], [self.objects(INCOMING)])
        iam.allow(role, ["s3:GetObject", "s3:PutObject", "s3:PutObjectTagging"], [self.objects(CLEAN)])
        iam.allow(role, ["s3:GetObject"], [self.objects(ATTACHED)])
        iam.allow(role, ["s3:ListBucket"], [self.bucket_arn])
        iam.key(role, data.key, iam.KMS_S3)
        acknowledge(role, "AwsSolutions-IAM5[Resource::*]", XRAY_REASON)
        self.acknowledge_prefix_grants(role)

        permission = lambda_.CfnPermission(
            self,
            "S3InvokePermission",
            action="lambda:InvokeFunction",
            function_name=function.function_arn,
            principal="s3.amazonaws.com",
            source_account=Aws.ACCOUNT_ID,
            source_arn=self.bucket_arn,
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=self.bucket_name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=data.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            removal_policy=RemovalPolicy.RETAIN,
            cors=[
                s3.CorsRule(
                    allowed_origins=list(config.cors_origins),
                    allowed_methods=[s3.HttpMethods.POST],
                    allowed_headers=["*"],
                    max_age=600,
                )
            ],
            lifecycle_rules=[_lifecycle_rule(rule) for rule in lifecycle_rules()],
        )
        cfn_bucket: s3.CfnBucket = self.bucket.node.default_child  # type: ignore[assignment]
        cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            lambda_configurations=[
                s3.CfnBucket.LambdaConfigurationProperty(
                    event="s3:ObjectCreated:*",
                    function=function.function_arn,
                    filter=s3.CfnBucket.NotificationFilterProperty(
                        s3_key=s3.CfnBucket.S3KeyFilterProperty(
                            rules=[s3.CfnBucket.FilterRuleProperty(name="prefix", value=INCOMING)]
                        )
                    ),
                )
            ]
        )
        cfn_bucket.add_dependency(permission)
        acknowledge(
            self.bucket,
            "AwsSolutions-S1",
            "Reporters' files stay here two days unless a report names them; every download is a "
            "five-minute presigned URL the API issues to a signed-in official and logs. Server access "
            "logs would copy the object keys into a second bucket without adding an audit trail.",
        )

    def objects(self, prefix: str) -> str:
        """The ARN of every object under ``prefix``."""
        return f"{self.bucket_arn}/{prefix}*"

    def acknowledge_prefix_grants(self, role: iam_.IRole) -> None:
        """cdk-nag's IAM5 on the per-prefix object grants (``incoming/*``, ``clean/*``, ``attached/*``)."""
        for prefix in (INCOMING, CLEAN, ATTACHED):
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::lapor-{self.stage}-uploads-"
                f"<AWS::AccountId>-<AWS::Region>/{prefix}*]",
                "Uploads are keyed by a random id under a fixed prefix; the grant is one prefix, "
                "the narrowest S3 allows for keys not known in advance.",
            )

    def grant_intake(self, role: iam_.IRole) -> None:
        """What the API needs: sign presigned POSTs into ``incoming/``, read both prefixes (type check,
        download links), mark uploads attached and tag their cleaned copies to keep them."""
        iam.allow(role, ["s3:GetObject", "s3:PutObject"], [self.objects(INCOMING)])
        iam.allow(role, ["s3:GetObject", "s3:PutObjectTagging"], [self.objects(CLEAN)])
        iam.allow(role, ["s3:PutObject"], [self.objects(ATTACHED)])
        iam.allow(role, ["s3:ListBucket"], [self.bucket_arn])
        iam.key(role, self.key, iam.KMS_S3)
        self.acknowledge_prefix_grants(role)


def _lifecycle_rule(rule: dict[str, Any]) -> s3.LifecycleRule:
    """A lifecycle rule in the S3 API's shape (``lifecycle_rules``) as CDK's ``LifecycleRule``."""
    rule_filter = rule["Filter"]
    both = rule_filter.get("And", {})
    prefix = rule_filter.get("Prefix", both.get("Prefix")) or None
    tags = {tag["Key"]: tag["Value"] for tag in both.get("Tags", [])} or None
    if "AbortIncompleteMultipartUpload" in rule:
        days = rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
        return s3.LifecycleRule(id=rule["ID"], abort_incomplete_multipart_upload_after=Duration.days(days))
    return s3.LifecycleRule(
        id=rule["ID"],
        prefix=prefix,
        tag_filters=tags,
        expiration=Duration.days(rule["Expiration"]["Days"]),
    )
