"""``sync-officials``: make the officials' user pool match a directory file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ops.command import OK, Command, Console, OpsError
from ops.directory_commands import read_directory
from ops.targets import LOCAL_PREFIX, AwsTarget, add_connection_arguments, require_output, stack_outputs

OUTPUT_USER_POOL = "UserPoolId"
LOCAL_POOL_NAME = f"{LOCAL_PREFIX}-officials"


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE", help="directory file (YAML or JSON)")
    which = parser.add_argument_group("user pool (one of --stack, --user-pool-id or --local)")
    exclusive = which.add_mutually_exclusive_group()
    exclusive.add_argument(
        "--stack", metavar="NAME", help=f"deployed stack; its {OUTPUT_USER_POOL} output names the pool"
    )
    exclusive.add_argument("--user-pool-id", metavar="ID", help="the officials' Cognito user pool id")
    parser.add_argument(
        "--no-invite",
        action="store_true",
        help="create users without Cognito's invitation email (they get no temporary password)",
    )
    add_connection_arguments(
        parser, local_help=f"the local stack (`make local`): pool {LOCAL_POOL_NAME} on its moto endpoint"
    )


def _pool_id(args: argparse.Namespace, target: AwsTarget, client: Any, console: Console) -> str:
    if args.user_pool_id:
        return str(args.user_pool_id)
    if args.stack:
        console.progress(f"reading the outputs of stack {args.stack} in {target.describe()}")
        return require_output(stack_outputs(target, args.stack), OUTPUT_USER_POOL, args.stack)
    for page in client.get_paginator("list_user_pools").paginate(MaxResults=60):
        for pool in page.get("UserPools", []):
            if pool["Name"] == LOCAL_POOL_NAME:
                return str(pool["Id"])
    raise OpsError(f"no user pool {LOCAL_POOL_NAME!r} at {target.describe()}: is `make local` running?")


def _run(args: argparse.Namespace, console: Console) -> int:
    from ops.identity_ops import sync_officials

    if not (args.stack or args.user_pool_id or args.local):
        raise OpsError("say which pool: --stack NAME, --user-pool-id ID or --local", exit_code=2)
    console.progress(f"validating {args.file}")
    directory = read_directory(args.file, console)
    target = AwsTarget.from_args(args)
    client = target.client("cognito-idp")
    pool_id = _pool_id(args, target, client, console)
    console.progress(f"syncing {len(directory.officials)} officials into {pool_id} ({target.describe()})")
    summary = sync_officials(
        directory, pool_id=pool_id, client=client, invite=not (args.no_invite or args.local)
    )
    console.result(f"synced {args.file} into user pool {pool_id}")
    console.result(f"  created   {len(summary.created)}")
    console.result(f"  updated   {len(summary.updated)}")
    console.result(f"  enabled   {len(summary.enabled)}")
    console.result(
        f"  disabled  {len(summary.disabled)}"
        + (f" ({', '.join(summary.disabled)})" if summary.disabled else "")
    )
    console.result(f"  unchanged {summary.unchanged}")
    return OK


SYNC_OFFICIALS = Command(
    name="sync-officials",
    help="create, update and disable officials' sign-in accounts to match a directory file",
    description=(
        "Make the officials' Cognito user pool match a directory file: create missing users (Cognito "
        "emails them a temporary password), update changed names, emails and agencies, and disable "
        "users who are inactive or no longer listed. Users are never deleted, so past actions stay "
        "attributable."
    ),
    configure=_configure,
    run=_run,
    epilog=(
        "examples:\n"
        "  python -m ops sync-officials directory.yaml --stack Lapor-prod\n"
        "  python -m ops sync-officials local/directory.demo.yaml --local"
    ),
)
