"""Officials' identities in the Cognito user pool, kept in step with the directory."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lapor.domain.directory import Directory, Official

OFFICIAL_ID_ATTRIBUTE = "custom:official_id"
AGENCY_ATTRIBUTE = "custom:agency"


@dataclass
class SyncSummary:
    """What a sync changed."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    enabled: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)
    unchanged: int = 0


def _attributes(official: Official) -> dict[str, str]:
    return {
        "email": official.email,
        "email_verified": "true",
        "name": official.name,
        OFFICIAL_ID_ATTRIBUTE: official.id,
        AGENCY_ATTRIBUTE: official.agency,
    }


def _existing_users(client: Any, pool_id: str) -> dict[str, dict[str, Any]]:
    users: dict[str, dict[str, Any]] = {}
    for page in client.get_paginator("list_users").paginate(UserPoolId=pool_id):
        for user in page.get("Users", []):
            attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
            users[user["Username"]] = {"enabled": user.get("Enabled", True), "attributes": attributes}
    return users


def sync_officials(directory: Directory, *, pool_id: str, client: Any, invite: bool = True) -> SyncSummary:
    """Create, update, enable and disable pool users so they match the directory's officials.

    Users are named by official id. New users get Cognito's email invitation with a temporary
    password when ``invite`` (the local stack suppresses it). Officials marked inactive, and users
    no longer in the directory, are disabled rather than deleted, so their history stays attributable.
    """
    summary = SyncSummary()
    existing = _existing_users(client, pool_id)
    for official in directory.officials:
        wanted = _attributes(official)
        user = existing.get(official.id)
        if user is None:
            kwargs: dict[str, Any] = {
                "UserPoolId": pool_id,
                "Username": official.id,
                "UserAttributes": [{"Name": k, "Value": v} for k, v in wanted.items()],
            }
            kwargs |= {"DesiredDeliveryMediums": ["EMAIL"]} if invite else {"MessageAction": "SUPPRESS"}
            client.admin_create_user(**kwargs)
            summary.created.append(official.id)
            user = {"enabled": True, "attributes": wanted}
        else:
            changed = {k: v for k, v in wanted.items() if user["attributes"].get(k) != v}
            if changed:
                client.admin_update_user_attributes(
                    UserPoolId=pool_id,
                    Username=official.id,
                    UserAttributes=[{"Name": k, "Value": v} for k, v in changed.items()],
                )
                summary.updated.append(official.id)
            elif user["enabled"] == official.active:
                summary.unchanged += 1
        if official.active and not user["enabled"]:
            client.admin_enable_user(UserPoolId=pool_id, Username=official.id)
            summary.enabled.append(official.id)
        elif not official.active and user["enabled"]:
            client.admin_disable_user(UserPoolId=pool_id, Username=official.id)
            summary.disabled.append(official.id)
    for username, user in existing.items():
        if username not in directory.officials_by_id and user["enabled"]:
            client.admin_disable_user(UserPoolId=pool_id, Username=username)
            summary.disabled.append(username)
    return summary
