"""Accountability: the tally on the reports stream, the data bucket, the monthly evaluation and
open-data export (each with its own layer), and the Glue table and Athena workgroup analysts query."""

from __future__ import annotations

from aws_cdk import CfnResource, Duration, RemovalPolicy, Stack, TimeZone, aws_iam
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from constructs import Construct

from lapor.adapters.repository import REPORT_SK
from lapor.adapters.schema import PERIOD_INDEX
from lapor.domain.open_data import COLUMNS
from lapor_infra import constants as c
from lapor_infra import iam
from lapor_infra.config import LaporConfig
from lapor_infra.data import Data
from lapor_infra.functions import LaporFunction, pipeline_environment
from lapor_infra.layer import JobLayer
from lapor_infra.nag import XRAY_REASON, acknowledge
from lapor_infra.notifications import NotifyQueue, Sender
from lapor_infra.queues import encrypted_queue
from lapor_infra.router import read_reports_stream

# Every INSERT and MODIFY of a report item (never timeline events or markers). local/pollers.py mirrors it.
TALLY_FILTERS = (
    {
        "eventName": lambda_.FilterRule.or_("INSERT", "MODIFY"),
        "dynamodb": {"NewImage": {"sk": {"S": lambda_.FilterRule.is_equal(REPORT_SK)}}},
    },
)
GLUE_TYPES = {"string": "string", "timestamp": "timestamp", "boolean": "boolean", "int": "int"}


class Tally(Construct):
    """The tally function on the reports stream: counters in the aggregates table, nothing else."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LaporConfig,
        data: Data,
        layer: lambda_.ILayerVersion,
        notify_queue: NotifyQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        self.failure_queue = encrypted_queue(self, "FailureQueue", key=data.key)
        acknowledge(
            self.failure_queue,
            "AwsSolutions-SQS3",
            "This queue is itself the on-failure destination of the tally's stream mapping: it receives "
            "the metadata of batches the tally gave up on (then run `ops rebuild-stats`).",
        )
        self.handler = LaporFunction(
            self,
            "Function",
            spec=c.TALLY,
            layer=layer,
            config=config,
            environment={
                **pipeline_environment(config, data, notify_queue.queue.queue_url),
                "LAPOR_AGGREGATES_TABLE": data.aggregates.table_name,
            },
        )
        role = self.handler.role
        # Counters and per-report markers are updated in transactions (authorised per item UpdateItem).
        iam.table(role, data.aggregates, ["UpdateItem"])
        iam.key(role, data.key, iam.KMS_SEND)
        self.mapping = read_reports_stream(
            self,
            self.handler,
            data,
            self.failure_queue,
            filters=TALLY_FILTERS,
            batch_size=c.TALLY_BATCH_SIZE,
            batching_window=c.TALLY_BATCHING_WINDOW,
            retry_attempts=c.TALLY_RETRY_ATTEMPTS,
            max_record_age=c.TALLY_MAX_RECORD_AGE,
        )


class OpenData(Construct):
    """The data bucket (evaluations and open data), its access logs, and Glue + Athena over the open data."""

    def __init__(self, scope: Construct, construct_id: str, *, config: LaporConfig, data: Data) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # S3 server access logging cannot write to SSE-KMS
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(365))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.access_logs,
            "AwsSolutions-S1",
            "This bucket receives the server access logs of the data and Athena results buckets; logging "
            "it into itself would loop.",
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=data.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="data/",
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                # Evaluations are read in the weeks after the 1st, then kept as records.
                s3.LifecycleRule(
                    id="evaluations-to-colder-storage",
                    prefix=c.EVALUATION_PREFIX,
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                            transition_after=Duration.days(90),
                        ),
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                            transition_after=Duration.days(365),
                        ),
                    ],
                ),
                # A re-run replaces a month's files; the replaced versions are kept 90 days.
                s3.LifecycleRule(id="replaced-versions", noncurrent_version_expiration=Duration.days(90)),
            ],
        )
        self.results = s3.Bucket(
            self,
            "AthenaResults",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=data.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="athena-results/",
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(c.ATHENA_RESULTS_DAYS))],
            removal_policy=RemovalPolicy.DESTROY,
            auto_delete_objects=False,
        )
        self.database_name = f"lapor_{config.stage.replace('-', '_')}"
        self.database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=stack.account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=self.database_name, description=f"Lapor {config.stage}: open data on public complaints"
            ),
        )
        location = f"s3://{self.bucket.bucket_name}/{c.OPEN_DATA_PREFIX}"
        self.table = glue.CfnTable(
            self,
            "ReportsTable",
            catalog_id=stack.account,
            database_name=self.database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name="reports",
                description="Every report, anonymized: no reporter data, redacted text, provinces only",
                table_type="EXTERNAL_TABLE",
                partition_keys=[
                    glue.CfnTable.ColumnProperty(name="year", type="string"),
                    glue.CfnTable.ColumnProperty(name="month", type="string"),
                ],
                # Partition projection: a new month is queryable the moment its file lands, no crawler.
                parameters={
                    "classification": "parquet",
                    "projection.enabled": "true",
                    "projection.year.type": "integer",
                    "projection.year.range": "2020,2100",
                    "projection.month.type": "integer",
                    "projection.month.range": "1,12",
                    "projection.month.digits": "2",
                    "storage.location.template": location + "year=${year}/month=${month}/",
                },
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    location=location,
                    input_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                    output_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library="org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                    ),
                    columns=[
                        glue.CfnTable.ColumnProperty(name=name, type=GLUE_TYPES[kind], comment=text)
                        for name, kind, text in COLUMNS
                    ],
                ),
            ),
        )
        self.table.add_dependency(self.database)
        self.workgroup = athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=f"lapor-{config.stage}",
            description=f"Lapor {config.stage}: analysts' queries of the open data",
            state="ENABLED",
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=10 * 1024**3,
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{self.results.bucket_name}/",
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_KMS", kms_key=data.key.key_arn
                    ),
                ),
            ),
        )


class MonthlyJobs(Construct):
    """The evaluation and the export: own functions and layers, run the 1st of each month (WIB)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LaporConfig,
        data: Data,
        layer: lambda_.ILayerVersion,
        notify_queue: NotifyQueue,
        sender: Sender,
        open_data: OpenData,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        bucket = open_data.bucket
        base = {
            **pipeline_environment(config, data, notify_queue.queue.queue_url),
            "LAPOR_DATA_BUCKET": bucket.bucket_name,
        }
        charts = JobLayer(
            self, "ChartsLayer", extra="charts", description="Lapor evaluation charts: matplotlib (headless)"
        ).layer
        parquet = JobLayer(
            self, "ParquetLayer", extra="parquet", description="Lapor open data: pyarrow"
        ).layer

        self.evaluation = LaporFunction(
            self,
            "Evaluation",
            spec=c.EVALUATION,
            layer=layer,
            extra_layers=[charts],
            config=config,
            environment={
                **base,
                "LAPOR_AGGREGATES_TABLE": data.aggregates.table_name,
                "LAPOR_SENDER_EMAIL": config.sender_email,
                "LAPOR_SES_CONFIGURATION_SET": sender.configuration_set.configuration_set_name,
                "MPLCONFIGDIR": "/tmp/matplotlib",  # noqa: S108 - Lambda's only writable folder
            },
        )
        role = self.evaluation.role
        # Counters of the month (Query), the email claims (conditional Put, Delete on a failed send),
        # the officials' open-report counters and the directory (directory table reads only).
        iam.table(role, data.aggregates, ["Query", "PutItem", "DeleteItem"])
        iam.table(role, data.directory, ["GetItem", "Query"])
        iam.key(role, data.key, iam.KMS_S3)
        iam.allow(role, ["s3:PutObject"], [bucket.arn_for_objects(f"{c.EVALUATION_PREFIX}*")])
        # Raw email (MIME with the chart and the CSV), as the stack's sender only.
        sender.grant_send(role, config.sender_email, actions=("ses:SendRawEmail",))
        acknowledge(role, "AwsSolutions-IAM5[Resource::*]", XRAY_REASON)
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::<{stack.get_logical_id(_cfn(bucket))}.Arn>/evaluations/*]",
            "The evaluation writes one CSV and one JSON per agency and month under evaluations/; the "
            "keys are only known when it runs.",
        )

        self.export = LaporFunction(
            self,
            "Export",
            spec=c.EXPORT,
            layer=layer,
            extra_layers=[parquet],
            config=config,
            environment=base,
        )
        role = self.export.role
        # The month's reports from the period index, and the directory for agency kinds.
        iam.allow(role, ["dynamodb:Query"], [f"{data.reports.table_arn}/index/{PERIOD_INDEX}"])
        iam.table(role, data.directory, ["GetItem"])
        iam.key(role, data.key, iam.KMS_S3)
        iam.allow(role, ["s3:PutObject"], [bucket.arn_for_objects(f"{c.OPEN_DATA_PREFIX}*")])
        acknowledge(role, "AwsSolutions-IAM5[Resource::*]", XRAY_REASON)
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::<{stack.get_logical_id(_cfn(bucket))}.Arn>/open-data/reports/*]",
            "The export writes one Parquet file per month under open-data/reports/year=YYYY/month=MM/.",
        )

        self.dlq = encrypted_queue(self, "DeadLetterQueue", key=data.key)
        acknowledge(
            self.dlq,
            "AwsSolutions-SQS3",
            "This queue is the monthly schedules' dead-letter queue: invocations the scheduler could not deliver.",
        )
        self.scheduler_role = aws_iam.Role(
            self,
            "SchedulerRole",
            assumed_by=aws_iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            ),
            description=f"Lapor {config.stage}: EventBridge Scheduler runs the monthly jobs",
        )
        iam.send_to(self.scheduler_role, self.dlq)
        iam.key(self.scheduler_role, data.key, iam.KMS_SEND)
        for handler, hour, name in (
            (self.evaluation, c.EVALUATION_HOUR, "Evaluation"),
            (self.export, c.EXPORT_HOUR, "Export"),
        ):
            # A failed run is not retried by Lambda; the scheduler retries, then the DLQ alarms.
            handler.function.configure_async_invoke(retry_attempts=0, max_event_age=Duration.hours(1))
            acknowledge(
                self.scheduler_role,
                f"AwsSolutions-IAM5[Resource::<{stack.get_logical_id(_cfn(handler.function))}.Arn>:*]",
                "CDK's LambdaInvoke target grants lambda:InvokeFunction on the job function and its "
                "versions (ARN:*); the schedule invokes its unqualified ARN.",
            )
            scheduler.Schedule(
                self,
                f"{name}Schedule",
                description=f"Lapor {config.stage}: {name.lower()} of the previous month, the 1st at {hour:02d}:00 WIB",
                schedule=scheduler.ScheduleExpression.cron(
                    minute="0", hour=str(hour), day="1", time_zone=TimeZone.of(c.JOBS_TIME_ZONE)
                ),
                target=targets.LambdaInvoke(
                    handler.function,
                    input=scheduler.ScheduleTargetInput.from_object({}),
                    retry_attempts=2,
                    max_event_age=Duration.hours(2),
                    dead_letter_queue=self.dlq,
                    role=self.scheduler_role,
                ),
            )


def _cfn(construct: Construct) -> CfnResource:
    resource = construct.node.default_child
    assert isinstance(resource, CfnResource)
    return resource
