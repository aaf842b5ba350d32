"""Signing in with OpenID Connect: the Département's identity provider, or ProConnect (the federation of public
agents). Configured in ``config.yml`` (``web.oidc_issuer``, ``web.oidc_client_id``), the client secret from the
environment (``OIDC_CLIENT_SECRET``).

Authorization code flow with PKCE (authlib's OAuth 2 client), the ID token checked with the provider's keys
(joserfc): issuer, audience, expiry, and the nonce sent. The state, nonce and code verifier wait in a short-lived
cookie signed by the desk. The e-mail the provider vouches for must be an active account's: nobody gets an
account by signing in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from typing import Any

import httpx
import httpx2
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.rfc6749.errors import OAuth2Error
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from web.render import render
from web.signin import open_session_for

log = logging.getLogger(__name__)
FLOW_COOKIE = "tremplin_oidc"
FLOW_PATH = "/connexion/oidc"
TIMEOUT = 5.0
METADATA_TTL = 3600.0  # seconds: the provider's configuration and keys are fetched again after this


class Provider:
    """One identity provider: its configuration and keys, fetched when needed and kept an hour."""

    def __init__(self, issuer: str, client_id: str, client_secret: str) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._fetched = 0.0

    async def metadata(self) -> tuple[dict[str, Any], KeySet]:
        if self._metadata is None or self._keys is None or time.monotonic() - self._fetched > METADATA_TTL:
            async with httpx.AsyncClient(timeout=TIMEOUT, trust_env=False) as client:
                found = (await client.get(f"{self.issuer}/.well-known/openid-configuration")).raise_for_status().json()
                keys = (await client.get(found["jwks_uri"])).raise_for_status().json()
            self._metadata, self._keys, self._fetched = found, KeySet.import_key_set(keys), time.monotonic()
        return self._metadata, self._keys

    def client(self, redirect_uri: str) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(self.client_id, self.client_secret, scope="openid email", redirect_uri=redirect_uri,
                                 code_challenge_method="S256", timeout=TIMEOUT, trust_env=False)


def _sign(secret: bytes, value: dict[str, str]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(value).encode()).decode()
    mac = hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def _unsign(secret: bytes, cookie: str | None) -> dict[str, str] | None:
    if not cookie or "." not in cookie:
        return None
    body, mac = cookie.rsplit(".", 1)
    if not hmac.compare_digest(mac, hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()):
        return None
    value = json.loads(base64.urlsafe_b64decode(body))
    return value if isinstance(value, dict) else None


def _redirect_uri(request: Request) -> str:
    return f"{request.app.state.settings.public_url.rstrip('/')}{FLOW_PATH}/retour"


async def start(request: Request) -> Response:
    """GET /connexion/oidc: off to the identity provider."""
    provider: Provider | None = request.app.state.oidc
    if provider is None:
        raise HTTPException(404, "Cette connexion n'est pas configurée.")
    try:
        metadata, _ = await provider.metadata()
    except (httpx.HTTPError, KeyError, ValueError):
        log.warning("the identity provider does not answer")
        return render(request, "signin.html", {"title": "Connexion", "error": "Le service d'identité ne répond "
                                               "pas. Réessayez dans un moment, ou demandez un lien par e-mail."},
                      status_code=503)
    flow = {"state": secrets.token_urlsafe(24), "nonce": secrets.token_urlsafe(24),
            "verifier": secrets.token_urlsafe(48), "at": str(int(time.time()))}
    url, _ = provider.client(_redirect_uri(request)).create_authorization_url(
        metadata["authorization_endpoint"], state=flow["state"], nonce=flow["nonce"], code_verifier=flow["verifier"])
    response = RedirectResponse(url, status_code=303)
    # Lax: the provider sends the browser back here with a top-level GET from its own site.
    response.set_cookie(FLOW_COOKIE, _sign(request.app.state.secret, flow), max_age=600, httponly=True,
                        secure=request.app.state.settings.secure_cookies, samesite="lax", path=FLOW_PATH)
    return response


async def finish(request: Request) -> Response:
    """GET /connexion/oidc/retour?code=…&state=…: the provider vouches for an e-mail; it must be an account's."""
    state = request.app.state
    provider: Provider | None = state.oidc
    flow = _unsign(state.secret, request.cookies.get(FLOW_COOKIE))
    if provider is None or flow is None or not hmac.compare_digest(flow["state"], request.query_params.get(
            "state", "")) or time.time() - int(flow["at"]) > 600:
        return _refused(request, "La connexion a expiré. Recommencez.")
    try:
        metadata, keys = await provider.metadata()
        token = await provider.client(_redirect_uri(request)).fetch_token(
            metadata["token_endpoint"], code=request.query_params.get("code", ""), code_verifier=flow["verifier"])
        claims = jwt.decode(token["id_token"], keys).claims
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": provider.issuer}, aud={"essential": True, "value": provider.client_id},
            exp={"essential": True}, nonce={"essential": True, "value": flow["nonce"]},
        ).validate(claims)
    except (httpx.HTTPError, httpx2.HTTPError, OAuthError, OAuth2Error, KeyError, ValueError, JoseError) as error:
        log.warning("sign-in with the identity provider refused (%s)", type(error).__name__)
        return _refused(request, "Le service d'identité n'a pas confirmé votre connexion. Recommencez.")
    address = str(claims.get("email", "")).strip().lower()
    if not address or claims.get("email_verified") is False:
        return _refused(request, "Le service d'identité ne donne pas d'adresse e-mail vérifiée.")
    response = await open_session_for(request, address)
    if response is None:
        return _refused(request, "Cette adresse n'a pas accès au bureau. Demandez à votre responsable de vous "
                                 "ajouter à l'équipe.")
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
    return response


def _refused(request: Request, words: str) -> Response:
    response = render(request, "signin.html", {"title": "Connexion", "error": words}, status_code=400)
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
    return response
