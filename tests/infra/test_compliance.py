"""cdk-nag's AwsSolutions pack and cfn-lint accept the synthesized stack."""

from __future__ import annotations

import json

from cfnlint.api import ManualArgs, lint_file

from tests.infra.conftest import Synth


def test_cdk_nag_finds_nothing_unacknowledged(synth: Synth) -> None:
    # Given the shared synthesis ran with the AwsSolutions validation plugin
    report_path = synth.outdir / "validation-report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {"pluginReports": []}
    violations = [
        f"{violation['ruleName']} at {[c['constructPath'] for c in violation['violatingConstructs']]}"
        for plugin in report["pluginReports"]
        for violation in plugin.get("violations", [])
    ]
    # Then synthesis did not fail and no finding is left unacknowledged
    assert violations == []
    assert synth.error is None, str(synth.error)


# Every acknowledgment, by construct path: adding one is a reviewed change of this list.
EXPECTED_ACKNOWLEDGMENTS = {
    ("IntakeApi/Api", "AwsSolutions-APIG4"),
    ("IntakeApi/Api", "AwsSolutions-COG4"),
    ("IntakeApi/ReceiptSecret", "AwsSolutions-SMG4"),
    ("Identity/Officials", "AwsSolutions-COG2"),
    (
        "IntakeApi/Api",
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AmazonAPIGatewayPushToCloudWatchLogs]",
    ),
    ("IntakeApi/Function/Role", "AwsSolutions-IAM5[Resource::*]"),
    ("Router/Function/Role", "AwsSolutions-IAM5[Resource::*]"),
    ("SlaSchedule/Function/Role", "AwsSolutions-IAM5[Resource::*]"),
    ("Notifications/Function/Role", "AwsSolutions-IAM5[Resource::*]"),
    (
        "Notifications/Function/Role",
        "AwsSolutions-IAM5[Resource::arn:aws:ses:ap-southeast-3:<AWS::AccountId>:identity/*]",
    ),
    (
        "MonthlyJobs/Evaluation/Role",
        "AwsSolutions-IAM5[Resource::arn:aws:ses:ap-southeast-3:<AWS::AccountId>:identity/*]",
    ),
    ("SmsDeliveryStatus/Function/Role", "AwsSolutions-IAM5[Resource::*]"),
    (
        "SmsDeliveryStatus/LoggingRole",
        "AwsSolutions-IAM5[Resource::arn:aws:logs:ap-southeast-3:<AWS::AccountId>:log-group:"
        "sns/ap-southeast-3/<AWS::AccountId>/DirectPublishToPhoneNumber*]",
    ),
    (
        "SmsDeliveryStatus/LoggingRole",
        "AwsSolutions-IAM5[Resource::arn:aws:logs:ap-southeast-3:<AWS::AccountId>:log-group:"
        "sns/ap-southeast-3/<AWS::AccountId>/DirectPublishToPhoneNumber*:log-stream:*]",
    ),
    ("SmsDeliveryStatus/AccountSmsSettings", "AwsSolutions-IAM5[Resource::*]"),
    (
        "AWS679f53fac002430cb0da5b7982bd2287",
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
    ),
    ("SlaSchedule/SchedulerRole", "AwsSolutions-IAM5[Resource::<SlaScheduleFunction3D0E09EE.Arn>:*]"),
    ("NotifyQueue/DeadLetterQueue", "AwsSolutions-SQS3"),
    ("Router/FailureQueue", "AwsSolutions-SQS3"),
    ("SlaSchedule/DeadLetterQueue", "AwsSolutions-SQS3"),
    ("Tally/Function/Role", "AwsSolutions-IAM5[Resource::*]"),
    ("Tally/FailureQueue", "AwsSolutions-SQS3"),
    ("OpenData/AccessLogs", "AwsSolutions-S1"),
    ("MonthlyJobs/Evaluation/Role", "AwsSolutions-IAM5[Resource::*]"),
    (
        "MonthlyJobs/Evaluation/Role",
        "AwsSolutions-IAM5[Resource::<OpenDataBucket8F3B5565.Arn>/evaluations/*]",
    ),
    ("MonthlyJobs/Export/Role", "AwsSolutions-IAM5[Resource::*]"),
    (
        "MonthlyJobs/Export/Role",
        "AwsSolutions-IAM5[Resource::<OpenDataBucket8F3B5565.Arn>/open-data/reports/*]",
    ),
    ("MonthlyJobs/DeadLetterQueue", "AwsSolutions-SQS3"),
    (
        "MonthlyJobs/SchedulerRole",
        "AwsSolutions-IAM5[Resource::<MonthlyJobsEvaluationFunction710702E6.Arn>:*]",
    ),
    ("MonthlyJobs/SchedulerRole", "AwsSolutions-IAM5[Resource::<MonthlyJobsExportFunctionA6F69553.Arn>:*]"),
    ("Uploads/Function/Role", "AwsSolutions-IAM5[Resource::*]"),
    ("Uploads/Bucket", "AwsSolutions-S1"),
    # Attachments are keyed by random ids under three fixed prefixes (lapor.adapters.uploads).
    *(
        (
            role,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::lapor-dev-uploads-<AWS::AccountId>-"
            f"<AWS::Region>/{prefix}*]",
        )
        for role in ("IntakeApi/Function/Role", "Uploads/Function/Role")
        for prefix in ("incoming/", "clean/", "attached/")
    ),
}


def _runtime_acknowledgments() -> set[tuple[str, str]]:
    """AwsSolutions-L1 on each function while the build cannot compile for the newest runtime."""
    from lapor_infra.interpreters import lambda_python_minors, python_build

    if python_build().runtime.name == f"python3.{lambda_python_minors()[0]}":
        return set()
    return {
        (f"{construct}/Function", "AwsSolutions-L1")
        for construct in (
            "IntakeApi/Function",
            "Router/Function",
            "SlaSchedule/Function",
            "Notifications/Function",
            "SmsDeliveryStatus/Function",
            "Uploads/Function",
            "Tally/Function",
            "MonthlyJobs/Evaluation",
            "MonthlyJobs/Export",
        )
    }


def test_acknowledgments_are_the_reviewed_ones_with_reasons(synth: Synth) -> None:
    metadata = json.loads((synth.outdir / f"{synth.stack_name}.metadata.json").read_text())
    found = {}
    for path, entries in metadata.items():
        for entry in entries:
            if entry["type"] == "aws:cdk:acknowledged-rules":
                for rule, reason in entry["data"].items():
                    key = (path.removeprefix(f"/{synth.stack_name}/"), rule.split("::", 1)[1])
                    found[key] = reason
    assert set(found) == EXPECTED_ACKNOWLEDGMENTS | _runtime_acknowledgments()
    for key, reason in found.items():
        assert len(reason) >= 40, key


def test_cfn_lint_reports_no_errors_or_warnings(synth: Synth) -> None:
    template = synth.outdir / f"{synth.stack_name}.template.json"
    matches = lint_file(
        template,
        config=ManualArgs(
            regions=["ap-southeast-3"],
            ignore_checks=["W3005"],  # CDK's own explicit DependsOn next to a Ref/GetAtt
        ),
    )
    problems = [f"{m.rule.id} {m.message} ({m.path})" for m in matches if m.rule.id[0] in {"E", "W"}]
    assert problems == []
