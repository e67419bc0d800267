"""Officials' identities in the Cognito user pool: verifying ID tokens, and reading TOTP enrolment."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from msgspec import Struct

from lapor.adapters.aws import client as aws_client

JWKS_MAX_AGE_SECONDS = 3600
# A positive TOTP check is remembered this long per warm function; a negative one never is, so an
# official who has just enrolled is let in at once.
MFA_CACHE_SECONDS = 600


class UserPool(Struct, frozen=True):
    """The officials' pool and the app client whose tokens the API accepts."""

    pool_id: str
    client_id: str
    region: str
    endpoint: str | None = None  # Cognito's API; None: the region's public endpoint

    @property
    def issuer(self) -> str:
        """The ``iss`` claim Cognito puts in this pool's tokens."""
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.pool_id}"

    @property
    def api_endpoint(self) -> str:
        """Where Cognito's API (InitiateAuth, ...) answers for this pool."""
        return (self.endpoint or f"https://cognito-idp.{self.region}.amazonaws.com").rstrip("/") + "/"

    @property
    def jwks_url(self) -> str:
        """The pool's public signing keys."""
        return f"{self.api_endpoint}{self.pool_id}/.well-known/jwks.json"


class TokenVerifier:
    """Verifies bearer ID tokens as API Gateway's Cognito authorizer does.

    Signature against the pool's JWKS (RS256 only), expiry, not-before, issuer, audience (the app
    client id) and ``token_use == "id"``; only then are the claims returned. The keys are fetched on first use and
    again when a token names a key id the cached set lacks (key rotation).
    """

    def __init__(
        self,
        pool: UserPool,
        *,
        clock: Callable[[], float] = time.time,
        fetch: Callable[[str], dict[str, Any]] | None = None,
    ) -> None:
        self.pool = pool
        self.clock = clock
        self._fetch = fetch or _fetch_json
        self._keys: Any = None
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def _key_set(self, *, refresh: bool = False) -> Any:
        from joserfc.jwk import KeySet

        with self._lock:
            stale = self.clock() - self._fetched_at > JWKS_MAX_AGE_SECONDS
            if self._keys is None or refresh or stale:
                self._keys = KeySet.import_key_set(self._fetch(self.pool.jwks_url))
                self._fetched_at = self.clock()
            return self._keys

    def verify(self, authorization: str | None) -> dict[str, Any] | None:
        """The token's claims when ``Authorization: Bearer <token>`` is valid for this pool, else None."""
        from joserfc import jwt
        from joserfc.errors import JoseError

        if not authorization or not authorization.startswith("Bearer "):
            return None
        token = authorization.removeprefix("Bearer ").strip()
        try:
            try:
                decoded = jwt.decode(token, self._key_set(), algorithms=["RS256"])
            except JoseError:
                # Perhaps a key the pool rotated in since the keys were fetched: fetch once more.
                decoded = jwt.decode(token, self._key_set(refresh=True), algorithms=["RS256"])
        except (JoseError, ValueError, TypeError, KeyError, OSError):
            return None
        claims = dict(decoded.claims)
        now = self.clock()
        if not isinstance(claims.get("exp"), int | float) or claims["exp"] <= now:
            return None
        not_before = claims.get("nbf")
        if not_before is not None and (not isinstance(not_before, int | float) or not_before > now):
            return None
        if claims.get("iss") != self.pool.issuer or claims.get("aud") != self.pool.client_id:
            return None
        if claims.get("token_use") != "id":
            return None
        return claims


class MfaDirectory:
    """Whether an official's Cognito account has TOTP enabled (AdminGetUser), remembered briefly."""

    def __init__(
        self, pool_id: str, *, client: Any = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.pool_id = pool_id
        self._client = client
        self._clock = clock
        self._enrolled: dict[str, float] = {}

    @property
    def client(self) -> Any:
        """The Cognito client, created on first use."""
        if self._client is None:
            self._client = aws_client("cognito-idp")
        return self._client

    def has_totp(self, username: str) -> bool:
        """True when the user has TOTP (software token) MFA enabled; then every sign-in asks for it."""
        seen = self._enrolled.get(username)
        if seen is not None and self._clock() - seen < MFA_CACHE_SECONDS:
            return True
        try:
            user = self.client.admin_get_user(UserPoolId=self.pool_id, Username=username)
        except self.client.exceptions.UserNotFoundException:
            return False
        enrolled = "SOFTWARE_TOKEN_MFA" in (user.get("UserMFASettingList") or [])
        if enrolled:
            self._enrolled[username] = self._clock()
        return enrolled


def _fetch_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the pool's own HTTPS endpoint
        return dict(json.load(response))
