"""Officials' sign-in on the local stack: a moto Cognito pool and the checks API Gateway makes."""

from __future__ import annotations

import json
import secrets
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

from ops.identity_ops import AGENCY_ATTRIBUTE, OFFICIAL_ID_ATTRIBUTE


@dataclass(frozen=True)
class UserPool:
    """The officials' pool and the app client whose tokens the API accepts."""

    pool_id: str
    client_id: str
    region: str

    @property
    def issuer(self) -> str:
        """The ``iss`` claim Cognito puts in this pool's tokens."""
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.pool_id}"


def create_user_pool(client: Any, *, name: str, region: str) -> UserPool:
    """A pool shaped like the deployed one: official id and agency as custom attributes, admin auth flow."""
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
    app_client = client.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName=f"{name}-officials",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        GenerateSecret=False,
    )["UserPoolClient"]
    return UserPool(pool_id=pool["Id"], client_id=app_client["ClientId"], region=region)


def issue_id_token(client: Any, pool: UserPool, official_id: str) -> str | None:
    """A real ID token for a seeded, enabled official (None when the pool has no such user)."""
    try:
        user = client.admin_get_user(UserPoolId=pool.pool_id, Username=official_id)
    except client.exceptions.UserNotFoundException:
        return None
    if not user.get("Enabled", True):
        return None
    # A throwaway password per request: the local stack signs officials in without them typing one.
    password = "Lp!1" + secrets.token_urlsafe(18)  # the pool requires upper, lower, digit, symbol
    client.admin_set_user_password(
        UserPoolId=pool.pool_id, Username=official_id, Password=password, Permanent=True
    )
    result = client.admin_initiate_auth(
        UserPoolId=pool.pool_id,
        ClientId=pool.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": official_id, "PASSWORD": password},
    )
    return result["AuthenticationResult"]["IdToken"]


class TokenVerifier:
    """Verifies bearer ID tokens as API Gateway's Cognito authorizer does.

    Signature against the pool's JWKS (RS256 only), expiry, issuer, audience (the app client id) and
    ``token_use == "id"``; the verified claims are what the function receives.
    """

    def __init__(self, pool: UserPool, jwks_url: str, *, clock: Any = time.time) -> None:
        self.pool = pool
        self.jwks_url = jwks_url
        self.clock = clock
        self._keys: Any = None

    def _key_set(self) -> Any:
        from joserfc.jwk import KeySet

        if self._keys is None:
            with urllib.request.urlopen(self.jwks_url, timeout=10) as response:  # noqa: S310 - local moto
                self._keys = KeySet.import_key_set(json.load(response))
        return self._keys

    def verify(self, authorization: str | None) -> dict[str, Any] | None:
        """The token's claims when ``Authorization: Bearer <token>`` is valid for this pool, else None."""
        from joserfc import jwt
        from joserfc.errors import JoseError

        if not authorization or not authorization.startswith("Bearer "):
            return None
        token = authorization.removeprefix("Bearer ").strip()
        try:
            decoded = jwt.decode(token, self._key_set(), algorithms=["RS256"])
        except (JoseError, ValueError, TypeError):
            return None
        claims = dict(decoded.claims)
        now = self.clock()
        if not isinstance(claims.get("exp"), int | float) or claims["exp"] <= now:
            return None
        if claims.get("iss") != self.pool.issuer or claims.get("aud") != self.pool.client_id:
            return None
        if claims.get("token_use") != "id":
            return None
        return claims
