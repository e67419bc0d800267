"""Names and numbers of the deployed stack, in one place.

Paths are absolute (derived from this file) so that ``python infra/app.py``, ``npx cdk synth`` and the
tests find the same assets whatever the working directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_

from lapor_infra.interpreters import python_build

REPO_ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = REPO_ROOT / "functions"
LAYER_DIR = REPO_ROOT / "layers" / "common"
# The imaging layer has no source of its own (only Pillow's wheels); its asset starts from here.
IMAGING_LAYER_DIR = REPO_ROOT / "layers" / "imaging"
SHARED_PACKAGE_DIR = LAYER_DIR / "python" / "lapor"
PYPROJECT = REPO_ROOT / "pyproject.toml"
CONSTRAINTS = REPO_ROOT / "constraints.txt"

# The newest Python Lambda offers in this aws-cdk-lib for which this machine has an interpreter to
# compile the layer's bytecode (lapor_infra.interpreters), on Graviton. Bundling derives its pip
# ``--python-version`` and ``--platform`` from these two, so they cannot disagree.
PYTHON_BUILD = python_build()
RUNTIME = PYTHON_BUILD.runtime
ARCHITECTURE = lambda_.Architecture.ARM_64
# Where Lambda mounts a layer's python/ folder: the paths recorded in the bytecode (tracebacks).
LAYER_MOUNT = "/opt/python"
PIP_PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
# Provided by the Lambda runtime; never bundled (a second botocore in the layer would shadow it).
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")

SERVICE_NAME = "lapor"
METRICS_NAMESPACE = "Lapor"
STACK_ID_PREFIX = "Lapor"  # stack name: Lapor-<stage>, e.g. Lapor-dev
API_STAGE = "v1"


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function: its code folder under functions/, entry module, size and time limit."""

    name: str
    module: str
    memory_mb: int
    timeout: Duration
    description: str

    @property
    def code_dir(self) -> Path:
        return FUNCTIONS_DIR / self.name

    @property
    def handler(self) -> str:
        return f"{self.module}.lambda_handler"


INTAKE = FunctionSpec(
    "intake",
    "intake_app",
    1024,
    Duration.seconds(20),  # under API Gateway's 29 s integration limit
    "Lapor HTTP API: citizens' reports, tracking, statistics, officials' inbox and actions",
)
ROUTE = FunctionSpec(
    "route",
    "route_app",
    512,
    Duration.seconds(60),
    "Lapor router: dispatches new reports to officials and relays report outboxes to the notify queue",
)
SLA_CHECK = FunctionSpec(
    "sla_check",
    "sla_check_app",
    512,
    Duration.seconds(60),
    "Lapor SLA checker: escalates reports whose working-day deadline has passed",
)
NOTIFY = FunctionSpec(
    "notify",
    "notify_app",
    512,
    Duration.seconds(30),
    "Lapor notifier: sends queued email (SES) and SMS (SNS), each exactly once",
)
TALLY = FunctionSpec(
    "tally",
    "tally_app",
    512,
    Duration.seconds(60),
    "Lapor tally: keeps the statistics and evaluation counters from the reports stream",
)
EVALUATION = FunctionSpec(
    "evaluation",
    "evaluation_app",
    1024,
    Duration.minutes(15),
    "Lapor monthly evaluation of admins and liaison officers: files, charts and emails",
)
EXPORT = FunctionSpec(
    "export",
    "export_app",
    2048,
    Duration.minutes(15),
    "Lapor monthly open-data export: anonymized reports as Parquet for Athena",
)
SMS_STATUS = FunctionSpec(
    "sms_status",
    "sms_status_app",
    256,
    Duration.seconds(30),
    "Lapor SMS delivery status: records SMS the carrier failed (SNS delivery-status log) on the report",
)
ATTACHMENTS = FunctionSpec(
    "attachments",
    "attachments_app",
    1024,  # decoding a 10 MB photo takes memory, and CPU comes with it
    Duration.seconds(60),
    "Lapor attachments: strips EXIF/GPS from uploaded photos before officials can download them",
)
ALL_FUNCTIONS = (INTAKE, ROUTE, SLA_CHECK, NOTIFY, SMS_STATUS, ATTACHMENTS, TALLY, EVALUATION, EXPORT)
# S3 invokes the attachments function asynchronously; Lambda retries a failed event this often.
ATTACHMENTS_RETRY_ATTEMPTS = 2
ATTACHMENTS_MAX_EVENT_AGE = Duration.hours(1)

# Queues. The notify queue's visibility timeout must cover six function timeouts (AWS guidance for
# SQS event sources), so a slow batch is never delivered twice while it is still running.
NOTIFY_MAX_RECEIVES = 5  # the local stack uses the same number
NOTIFY_VISIBILITY_FACTOR = 6
NOTIFY_BATCH_SIZE = 10
NOTIFY_MAX_CONCURRENCY = 5  # keeps SES/SNS send rates predictable
QUEUE_RETENTION = Duration.days(4)
DLQ_RETENTION = Duration.days(14)

# Reports stream -> router.
ROUTE_BATCH_SIZE = 25
ROUTE_RETRY_ATTEMPTS = 5
ROUTE_MAX_RECORD_AGE = Duration.hours(1)
ROUTE_PARALLELIZATION = 2

# Reports stream -> tally (every report change; the counters are not urgent, batches can be larger).
TALLY_BATCH_SIZE = 100
# Lambda gathers up to this long before invoking the tally: fewer, fuller batches (cost), and the
# statistics stay live to within seconds. The local stack's tally poller waits as long.
TALLY_BATCHING_WINDOW = Duration.seconds(2)
TALLY_RETRY_ATTEMPTS = 10
TALLY_MAX_RECORD_AGE = Duration.hours(24)

# Monthly jobs: the 1st at 01:00 WIB (evaluation) and 02:00 WIB (export), for the month before.
JOBS_TIME_ZONE = "Asia/Jakarta"
EVALUATION_HOUR = 1
EXPORT_HOUR = 2
EVALUATION_PREFIX = "evaluations/"
OPEN_DATA_PREFIX = "open-data/reports/"
ATHENA_RESULTS_DAYS = 30

# Scheduler -> sla_check.
SLA_RETRY_ATTEMPTS = 3
SLA_MAX_EVENT_AGE = Duration.minutes(10)

# Scheduler -> sla_check's calendar check: daily, 00:30 WIB.
CALENDAR_CHECK_CRON = {"minute": "30", "hour": "0"}
TIME_ZONE = "Asia/Jakarta"

# Alarm thresholds.
ITERATOR_AGE_ALARM_MS = 5 * 60 * 1000  # reports must reach officials within seconds, not minutes
NOTIFY_OLDEST_MESSAGE_ALARM_S = 15 * 60

# Stack outputs: operator commands find resources by these names.
OUTPUT_API_URL = "ApiUrl"
OUTPUT_REPORTS_TABLE = "ReportsTableName"
OUTPUT_DIRECTORY_TABLE = "DirectoryTableName"
OUTPUT_IDEMPOTENCY_TABLE = "IdempotencyTableName"
OUTPUT_NOTIFY_QUEUE = "NotifyQueueUrl"
OUTPUT_NOTIFY_DLQ = "NotifyDlqUrl"
OUTPUT_ROUTE_FAILURES = "RouteFailureQueueUrl"
OUTPUT_SLA_DLQ = "SlaScheduleDlqUrl"
OUTPUT_USER_POOL = "UserPoolId"
OUTPUT_USER_POOL_CLIENT = "UserPoolClientId"
OUTPUT_OPS_TOPIC = "OpsTopicArn"
OUTPUT_DASHBOARD = "DashboardName"
OUTPUT_SLA_FUNCTION = "SlaCheckFunctionName"
OUTPUT_SMS_DELIVERY_ROLE = "SmsDeliveryStatusRoleArn"
OUTPUT_API_ALIAS = "ApiFunctionAlias"
OUTPUT_UPLOADS_BUCKET = "UploadsBucketName"
OUTPUT_AGGREGATES_TABLE = "AggregatesTableName"
OUTPUT_DATA_BUCKET = "DataBucketName"
OUTPUT_EVALUATION_FUNCTION = "EvaluationFunctionName"
OUTPUT_EXPORT_FUNCTION = "ExportFunctionName"
OUTPUT_GLUE_DATABASE = "GlueDatabaseName"
OUTPUT_ATHENA_WORKGROUP = "AthenaWorkGroupName"

# The report item's scalar flag that a change put messages in its outbox: written by lapor.repository,
# matched by the router's event filter (list contents cannot be matched by Lambda event filters).
from lapor.adapters.repository import OUTBOX_FLAG as OUTBOX_FLAG  # noqa: E402
from lapor.adapters.repository import OUTBOX_FLAG_VALUE as OUTBOX_FLAG_VALUE  # noqa: E402
