"""The operator CLI, called in-process: directory validation and loading, and the notify DLQ redrive."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from lapor.adapters.repository import DirectoryStore
from local.resources import ResourceNames, Resources, create_resources
from ops.cli import main

ROOT = Path(__file__).resolve().parents[2]
DEMO_DIRECTORY = ROOT / "local" / "directory.demo.yaml"
TEST_DIRECTORY = ROOT / "tests" / "data" / "directory.test.yaml"
REGION = "ap-southeast-3"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``python -m ops *argv`` in-process: exit code, stdout, stderr."""
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def aws() -> Iterator[Resources]:
    """Fresh moto backends with the pipeline's tables and queues."""
    with mock_aws():
        yield create_resources(boto3.session.Session(region_name=REGION), ResourceNames("lapor-ops"))


def make_stack(name: str, outputs: dict[str, str]) -> None:
    """A CloudFormation stack in moto whose outputs are ``outputs`` (one placeholder resource)."""
    template = {
        "Resources": {"Placeholder": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"{name}-x"}}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName=name, TemplateBody=json.dumps(template)
    )


# ---- validate-directory ---------------------------------------------------------------------------


def test_validate_summarises_a_valid_directory(capsys: pytest.CaptureFixture[str]) -> None:
    # When the demo directory is validated
    code, out, _ = run(capsys, "validate-directory", DEMO_DIRECTORY)

    # Then it passes with a summary of what it holds
    assert code == 0
    assert "is valid" in out
    assert "national admin  panrb-admin" in out
    assert "agencies        36" in out
    assert "liaison" in out and "supervisor" in out
    assert "covid19: verify 1, follow up 2 working days" in out


def test_validate_names_every_bad_entry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Given the test directory with an official of an unknown agency and a category of an unknown track
    text = TEST_DIRECTORY.read_text(encoding="utf-8")
    text = text.replace(
        "officials:\n",
        "officials:\n  - {id: ghost-lo1, name: Hantu, email: ghost@example.go.id, agency: NOWHERE, role: liaison}\n",
        1,
    )
    text = text.replace(
        "categories:\n", "categories:\n  - {code: mystery, name: Misteri, agency: PANRB, track: warp}\n", 1
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")

    # When it is validated
    code, out, err = run(capsys, "validate-directory", bad)

    # Then it fails, naming each entry, without a stack trace
    assert code == 1
    assert "officials[0] (ghost-lo1): unknown agency 'NOWHERE'" in err
    assert "(mystery): unknown track 'warp'" in err
    assert "Traceback" not in out + err


def test_validate_reports_a_missing_file_and_bad_yaml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "validate-directory", tmp_path / "absent.yaml")
    assert code == 1 and "no such file" in err

    broken = tmp_path / "broken.yaml"
    broken.write_text("agencies: [unclosed\n", encoding="utf-8")
    code, _, err = run(capsys, "validate-directory", broken)
    assert code == 1 and "not valid YAML" in err


# ---- load-directory -------------------------------------------------------------------------------


def test_load_by_table_stores_the_directory_and_keeps_counters(
    aws: Resources, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an official's open-report counter in the directory table
    table = aws.names.directory_table
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    counter_key = {"pk": {"S": "LOAD#KEMENKES"}, "sk": {"S": "kemenkes-lo1"}}
    dynamodb.put_item(TableName=table, Item={**counter_key, "open": {"N": "7"}})

    # When the test directory is loaded by table name
    code, out, _ = run(capsys, "load-directory", TEST_DIRECTORY, "--table", table, "--region", REGION)

    # Then it is the stored directory, the hash is shown, and the counter is untouched
    assert code == 0
    document = DirectoryStore(table, client=dynamodb).get_document()
    assert document is not None and document["national_admin"] == "panrb-admin"
    digest = dynamodb.get_item(TableName=table, Key=DirectoryStore.KEY)["Item"]["sha256"]["S"]
    assert f"content sha256  {digest}" in out
    assert "LAPOR_DIRECTORY_CACHE_SECONDS" in out and "counters" in out
    assert dynamodb.get_item(TableName=table, Key=counter_key)["Item"]["open"] == {"N": "7"}


def test_load_by_stack_finds_the_table_in_the_stack_outputs(
    aws: Resources, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a deployed stack whose outputs name the directory table
    make_stack("Lapor-test", {"DirectoryTableName": aws.names.directory_table})

    # When the directory is loaded by stack name
    code, out, _ = run(capsys, "load-directory", TEST_DIRECTORY, "--stack", "Lapor-test")

    # Then it lands in that table
    assert code == 0
    assert f"into {aws.names.directory_table}" in out
    assert DirectoryStore(aws.names.directory_table).get_document() is not None


def test_load_explains_a_missing_stack_or_output(aws: Resources, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "load-directory", TEST_DIRECTORY, "--stack", "Nope")
    assert code == 1 and "stack 'Nope' not found in ap-southeast-3" in err

    make_stack("Other", {"Something": "else"})
    code, _, err = run(capsys, "load-directory", TEST_DIRECTORY, "--stack", "Other")
    assert code == 1 and "no output 'DirectoryTableName'" in err
    assert "Traceback" not in err


def test_load_explains_a_missing_table(aws: Resources, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "load-directory", TEST_DIRECTORY, "--table", "no-such-table")
    assert code == 1 and "does not exist" in err


def test_load_refuses_an_invalid_file_before_touching_aws(
    aws: Resources, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("national_admin: nobody\ntracks: {}\nagencies: []\nofficials: []\ncategories: []\n")

    code, _, err = run(capsys, "load-directory", bad, "--table", aws.names.directory_table)

    assert code == 1
    assert "national_admin: 'nobody' is not an official" in err
    assert DirectoryStore(aws.names.directory_table).get_document() is None


def test_load_refuses_the_demo_directory_for_a_deployed_stack(
    aws: Resources, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a deployed stack, and the demo directory (invented people, marked `demo: true`)
    make_stack("Lapor-prod", {"DirectoryTableName": aws.names.directory_table})

    # When an operator loads the demo into the stack, by stack or by table name
    for where in (("--stack", "Lapor-prod"), ("--table", aws.names.directory_table)):
        code, _, err = run(capsys, "load-directory", DEMO_DIRECTORY, *where)

        # Then it is refused with the reason and what to do, and nothing is stored
        assert code == 1
        assert "is a demo directory" in err and "--local" in err
        assert DirectoryStore(aws.names.directory_table).get_document() is None


def test_the_local_stack_still_loads_the_demo(aws: Resources, capsys: pytest.CaptureFixture[str]) -> None:
    # Given moto standing in for the local stack (an explicit endpoint, as --local gives)
    from ops.directory_ops import load_into

    # When the local stack loads the demo directory the way it does at start
    directory, _ = load_into(DEMO_DIRECTORY, table=aws.names.directory_table)

    # Then it is stored, marked as a demo
    assert directory.demo is True
    assert DirectoryStore(aws.names.directory_table).get_document()["demo"] is True


def test_demo_directory_reaches_no_real_person() -> None:
    # Given every official of the demo directory
    from lapor.adapters.directory_file import load_directory_file

    directory = load_directory_file(DEMO_DIRECTORY)
    assert directory.demo
    for official in directory.officials:
        # Then their address is at a reserved .example domain (RFC 2606) ...
        assert official.email.endswith(".example"), official.id
        # ... and their number in +62 840, a range given to no Indonesian operator
        assert official.phone is None or official.phone.startswith("+62840"), official.id


def test_calendar_warnings_name_the_years_without_joint_leave(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a calendar year whose cuti bersama the holidays package does not know yet
    from datetime import UTC, datetime

    from lapor.adapters.directory_file import load_directory_file
    from ops import directory_commands

    directory = load_directory_file(TEST_DIRECTORY)
    december = datetime(2027, 12, 1, tzinfo=UTC)  # 2028 has no decree in the pinned package
    [warning] = directory_commands.calendar_warnings(directory, december)
    assert "2028" in warning and "extra_holidays" in warning

    # When the operator adds the decree's days through the directory
    fixed = directory.model_copy(
        update={
            "calendar": directory.calendar.model_copy(
                update={"extra_holidays": (datetime(2028, 1, 27).date(),)}
            )
        }
    )
    # Then there is nothing to warn about
    assert directory_commands.calendar_warnings(fixed, december) == []

    # And validate-directory prints such warnings without failing
    monkeypatch.setattr(
        directory_commands, "calendar_warnings", lambda d, now=None: ["no cuti bersama for 2099"]
    )
    code, _, err = run(capsys, "validate-directory", TEST_DIRECTORY)
    assert code == 0 and "warning: no cuti bersama for 2099" in err


def test_load_needs_a_destination(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "load-directory", TEST_DIRECTORY)
    assert code == 2 and "--stack NAME, --table NAME or --local" in err


# ---- redrive-dlq ----------------------------------------------------------------------------------


def _fill_dlq(resources: Resources, count: int) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    for start in range(0, count, 10):
        sqs.send_message_batch(
            QueueUrl=resources.notify_dlq_url,
            Entries=[
                {
                    "Id": str(i),
                    "MessageBody": json.dumps({"id": f"R{start + i}:assigned:official"}),
                    "MessageAttributes": {"origin": {"DataType": "String", "StringValue": "test"}},
                }
                for i in range(min(10, count - start))
            ],
        )


def _depth(url: str) -> int:
    attributes = boto3.client("sqs", region_name=REGION).get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def test_redrive_moves_every_message_back(aws: Resources, capsys: pytest.CaptureFixture[str]) -> None:
    # Given 23 notifications in the DLQ
    _fill_dlq(aws, 23)

    # When they are redriven by queue URL
    code, out, err = run(
        capsys, "redrive-dlq", "--queue-url", aws.notify_queue_url, "--dlq-url", aws.notify_dlq_url
    )

    # Then all 23 are on the notify queue, with their attributes, and none in the DLQ
    assert code == 0, err
    assert "moved 23 message(s)" in out
    assert _depth(aws.notify_queue_url) == 23
    assert _depth(aws.notify_dlq_url) == 0
    message = boto3.client("sqs", region_name=REGION).receive_message(
        QueueUrl=aws.notify_queue_url, MessageAttributeNames=["All"]
    )["Messages"][0]
    assert message["MessageAttributes"]["origin"]["StringValue"] == "test"
    assert "moved 10 message(s) so far" in err  # progress, batch by batch


def test_redrive_stops_at_max(aws: Resources, capsys: pytest.CaptureFixture[str]) -> None:
    _fill_dlq(aws, 23)

    code, out, _ = run(
        capsys,
        "redrive-dlq",
        "--queue-url",
        aws.notify_queue_url,
        "--dlq-url",
        aws.notify_dlq_url,
        "--max",
        "5",
    )

    assert code == 0
    assert "moved 5 message(s)" in out
    assert _depth(aws.notify_queue_url) == 5


def test_redrive_by_stack_reads_the_queue_outputs(aws: Resources, capsys: pytest.CaptureFixture[str]) -> None:
    _fill_dlq(aws, 3)
    make_stack("Lapor-test", {"NotifyQueueUrl": aws.notify_queue_url, "NotifyDlqUrl": aws.notify_dlq_url})

    code, out, _ = run(capsys, "redrive-dlq", "--stack", "Lapor-test")

    assert code == 0 and "moved 3 message(s)" in out
    assert _depth(aws.notify_queue_url) == 3


def test_redrive_of_an_empty_dlq_moves_nothing(aws: Resources, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "redrive-dlq", "--queue-url", aws.notify_queue_url, "--dlq-url", aws.notify_dlq_url
    )
    assert code == 0 and "moved 0 message(s)" in out


def test_redrive_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "redrive-dlq", "--queue-url", "https://sqs.example/q")
    assert code == 2 and "--queue-url and --dlq-url go together" in err

    code, _, err = run(capsys, "redrive-dlq")
    assert code == 2

    code, _, _ = run(capsys, "redrive-dlq", "--local", "--max", "0")
    assert code == 2


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for name in ("validate-directory", "load-directory", "redrive-dlq"):
        assert name in out


# ---- rebuild-stats and evaluation -----------------------------------------------------------------


def test_rebuild_stats_recounts_the_table_of_a_deployed_stack(
    aws: Resources, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a stack with two routed reports and one stray counter item of a month without reports
    from datetime import UTC, datetime

    from lapor.adapters.aggregates import AggregateStore
    from lapor.adapters.repository import ReportRepository
    from lapor.domain.lifecycle import Status
    from lapor.domain.models import Report, ReportKind

    names = aws.names
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    repository = ReportRepository(names.reports_table, names.directory_table, due_shards=8, client=dynamodb)
    at = datetime(2026, 5, 4, 3, tzinfo=UTC)
    for n, status in enumerate((Status.COMPLETED, Status.DISPATCHED)):
        report = Report(id=f"AAAA-BBBB-CCCC{n}", kind=ReportKind.COMPLAINT, status=status, title="Jalan rusak",
                        description="Jalan rusak parah.", agency="KEMENPU", receipt_hash="x", created_at=at, updated_at=at)  # fmt: skip
        repository.save(report, expected_version=None)
    store = AggregateStore(names.aggregates_table, client=dynamodb)
    store.apply_change("STRAY", 1, stats={("2026-01", "KEMENPU"): {"completed": 9}}, officials={})
    make_stack("Lapor-ops", {"ReportsTableName": names.reports_table, "DirectoryTableName": names.directory_table,
                             "AggregatesTableName": names.aggregates_table})  # fmt: skip
    # When the operator rebuilds the statistics
    code, out, _ = run(capsys, "rebuild-stats", "--stack", "Lapor-ops")
    # Then the counters are the recount, and the stray month is gone
    assert code == 0 and "recounted 2 reports into 1 agency-month counters; removed 1" in out
    (item,) = store.stats("2026")
    assert (item.period, item.counters["completed"], item.counters["unverified"]) == ("2026-05", 1, 1)


def test_evaluation_needs_a_month_and_one_target(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "evaluation", "--period", "2026-13", "--local")
    assert code == 2 and "--period must be a month as YYYY-MM" in err
    code, _, err = run(capsys, "evaluation", "--period", "2026-11")
    assert code == 2 and "--stack NAME or --local" in err


def test_evaluation_lines_show_each_official_and_the_agency_total() -> None:
    from ops.accountability_commands import evaluation_lines

    figures = dict.fromkeys(("assigned", "verified", "verified_on_time_pct", "followed_up_on_time_pct", "escalations_l1",
                             "escalations_l2", "reopened", "average_rating", "open_at_end"))  # fmt: skip
    document = {
        "period": "2026-11",
        "agencies": [
            {
                "agency": {"code": "KEMENPU", "name": "Kementerian PU", "kind": "kementerian"},
                "officials": [
                    {"id": "pu-lo1", "figures": figures | {"assigned": 4, "verified_on_time_pct": 75.0}}
                ],
                "totals": figures | {"assigned": 4},
            }
        ],
    }
    lines = evaluation_lines(document)
    assert lines[0] == "evaluation 2026-11"
    assert any(line.startswith("KEMENPU — Kementerian PU (kementerian)") for line in lines)
    row = next(line for line in lines if line.strip().startswith("pu-lo1"))
    assert "4" in row and "75.0" in row and row.rstrip().endswith("-")
