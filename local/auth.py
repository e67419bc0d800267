"""Officials' sign-in on the local stack: a moto Cognito pool shaped like the deployed one."""

from __future__ import annotations

from typing import Any

from lapor.adapters.identity import UserPool
from ops.identity_ops import AGENCY_ATTRIBUTE, OFFICIAL_ID_ATTRIBUTE

__all__ = ["DEFAULT_PASSWORD", "UserPool", "create_user_pool", "issue_id_token", "seed_passwords"]

# Every directory official signs in with this password on the local stack ($LAPOR_LOCAL_PASSWORD).
DEFAULT_PASSWORD = "Lapor-Local-2026!"  # noqa: S105 - documented, local stack only
# moto checks no TOTP code unless told to; any six digits answer its challenge.
LOCAL_TOTP_CODE = "000000"


def create_user_pool(client: Any, *, name: str, region: str, endpoint: str, mfa: bool) -> UserPool:
    """A pool shaped like the deployed one: official id and agency as custom attributes, the page's
    password sign-in, refresh and (with ``mfa``) optional TOTP that the API requires of admins."""
    pool = client.create_user_pool(
        PoolName=name,
        Schema=[
            {
                "Name": OFFICIAL_ID_ATTRIBUTE.removeprefix("custom:"),
                "AttributeDataType": "String",
                "Mutable": True,
            },
            {
                "Name": AGENCY_ATTRIBUTE.removeprefix("custom:"),
                "AttributeDataType": "String",
                "Mutable": True,
            },
        ],
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
    )["UserPool"]
    if mfa:
        client.set_user_pool_mfa_config(
            UserPoolId=pool["Id"],
            SoftwareTokenMfaConfiguration={"Enabled": True},
            MfaConfiguration="OPTIONAL",
        )
    app_client = client.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName=f"{name}-officials",
        ExplicitAuthFlows=[
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_ADMIN_USER_PASSWORD_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
        ],
        GenerateSecret=False,
    )["UserPoolClient"]
    return UserPool(pool_id=pool["Id"], client_id=app_client["ClientId"], region=region, endpoint=endpoint)


def seed_passwords(client: Any, pool: UserPool, official_ids: list[str], password: str) -> None:
    """Give every official the same permanent password, so the officials' page works as deployed."""
    for official_id in official_ids:
        client.admin_set_user_password(
            UserPoolId=pool.pool_id, Username=official_id, Password=password, Permanent=True
        )


def issue_id_token(client: Any, pool: UserPool, official_id: str, password: str) -> str | None:
    """A real ID token for a seeded, enabled official (None when the pool has no such user)."""
    try:
        user = client.admin_get_user(UserPoolId=pool.pool_id, Username=official_id)
    except client.exceptions.UserNotFoundException:
        return None
    if not user.get("Enabled", True):
        return None
    try:
        result = client.admin_initiate_auth(
            UserPoolId=pool.pool_id,
            ClientId=pool.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": official_id, "PASSWORD": password},
        )
    except client.exceptions.NotAuthorizedException:
        # Someone changed this official's password on the page: tests sign in with the seeded one.
        client.admin_set_user_password(
            UserPoolId=pool.pool_id, Username=official_id, Password=password, Permanent=True
        )
        return issue_id_token(client, pool, official_id, password)
    if result.get("ChallengeName") == "SOFTWARE_TOKEN_MFA":
        result = client.admin_respond_to_auth_challenge(
            UserPoolId=pool.pool_id,
            ClientId=pool.client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=result["Session"],
            ChallengeResponses={"USERNAME": official_id, "SOFTWARE_TOKEN_MFA_CODE": LOCAL_TOTP_CODE},
        )
    return result["AuthenticationResult"]["IdToken"]
