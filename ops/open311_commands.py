"""``open311-keys``: create, list and revoke the api_keys of Open311 partner applications.

A key is shown once, when it is created; the stack stores only its SHA-256 hash (in the directory
table), so a lost key is revoked and replaced, never recovered.
"""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime

from ops.command import OK, Command, Console, OpsError
from ops.directory_commands import add_directory_table_arguments, resolve_directory_table
from ops.targets import AwsTarget

_KEY_ID = re.compile(r"^[0-9a-f]{12}$")


def _configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create a key for a partner application (shown once)")
    create.add_argument("name", metavar="NAME", help="the application, e.g. 'Kota Bandung CRM'")
    add_directory_table_arguments(create)
    listing = actions.add_parser("list", help="list the keys: id, application, created, revoked")
    add_directory_table_arguments(listing)
    revoke = actions.add_parser("revoke", help="revoke a key by its id (its requests are refused at once)")
    revoke.add_argument("key_id", metavar="KEY_ID", help="the 12-character id `list` shows")
    add_directory_table_arguments(revoke)


def _stamp(instant: datetime | None) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if instant else "-"


def _run(args: argparse.Namespace, console: Console) -> int:
    from lapor.adapters.partners import PartnerKeys

    if not (args.stack or args.table or args.local):
        raise OpsError("say which stack: --stack NAME, --table NAME or --local", exit_code=2)
    target = AwsTarget.from_args(args)
    table = resolve_directory_table(args, target, console)
    keys = PartnerKeys(table, client=target.client("dynamodb"))
    now = datetime.now(UTC)
    if args.action == "create":
        name = " ".join(str(args.name).split())
        if not name:
            raise OpsError("name the partner application", exit_code=2)
        record, api_key = keys.create(name, now=now)
        console.result(f"created key {record.key_id} for {record.name} in {table} ({target.describe()})")
        console.result(f"  api_key  {api_key}")
        console.result(
            "Give the api_key to the partner over a private channel: it is not stored and not shown again."
        )
        return OK
    if args.action == "list":
        records = keys.list()
        if not records:
            console.result(f"no Open311 keys in {table}")
        for record in records:
            state = f"revoked {_stamp(record.revoked_at)}" if record.revoked_at else "active"
            console.result(f"{record.key_id}  {_stamp(record.created_at)}  {state:<28}  {record.name}")
        return OK
    key_id = str(args.key_id).strip().lower()
    if not _KEY_ID.match(key_id):
        raise OpsError(
            f"{args.key_id!r} is not a key id: `open311-keys list` shows 12 hex characters", exit_code=2
        )
    revoked = keys.revoke(key_id, now=now)
    if revoked is None:
        raise OpsError(f"no key {key_id} in {table}")
    console.result(f"revoked key {revoked.key_id} of {revoked.name} ({_stamp(revoked.revoked_at)})")
    return OK


OPEN311_KEYS = Command(
    name="open311-keys",
    help="create, list and revoke Open311 partner applications' api_keys",
    description=(
        "Open311 partner applications file requests with an api_key. `create` makes one and prints it once "
        "(only its hash is stored); `list` shows every key's id, application and state; `revoke` stops a key "
        "at once. Deployed stacks are reached with your own AWS credentials."
    ),
    configure=_configure,
    run=_run,
    epilog=(
        "examples:\n"
        "  python -m ops open311-keys create 'Kota Bandung CRM' --stack Lapor-prod\n"
        "  python -m ops open311-keys list --stack Lapor-prod\n"
        "  python -m ops open311-keys revoke 3f9a0c2b7d1e --stack Lapor-prod\n"
        "  python -m ops open311-keys list --local"
    ),
)
