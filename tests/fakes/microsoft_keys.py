"""Signing Bot Framework tokens the way Microsoft does, with a key only the tests hold.

The fake key server publishes the public half; tests sign RS256 tokens whose claims the real SDK
validator checks: ``iss`` https://api.botframework.com, ``aud`` the app id, ``serviceurl`` the
activity's serviceUrl, an expiry. Each claim can be spoiled to test that the app refuses it.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "https://api.botframework.com"


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class SigningKey:
    kid: str
    key: rsa.RSAPrivateKey

    @classmethod
    def new(cls, kid: str) -> SigningKey:
        return cls(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def jwk(self) -> dict[str, Any]:
        public = self.key.public_key().public_numbers()
        return {"kty": "RSA", "use": "sig", "kid": self.kid, "alg": "RS256", "n": _b64(public.n), "e": _b64(public.e)}

    def sign(
        self,
        app_id: str,
        service_url: str,
        *,
        issuer: str = ISSUER,
        audience: str | None = None,
        expires_in: int = 3600,
        kid: str | None = None,
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": audience or app_id,
            "serviceurl": service_url,
            "nbf": now - 60,
            "iat": now - 60,
            "exp": now + expires_in,
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": kid or self.kid})


def opaque_token(scope: str) -> str:
    """An access token as the token endpoint hands out: a JWT the app must not need to read."""
    head = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps({"scp": scope, "iat": int(time.time())}).encode()).rstrip(b"=").decode()
    return f"{head}.{body}.sig"
