"""Signing in with OpenID Connect against a small provider on 127.0.0.1: the code flow with PKCE, the ID token
checked (issuer, audience, expiry, nonce, signature), and only an active account's e-mail gets in."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from storage import Database
from tests.web.desk_kit import BASE, NADIA_EMAIL, make_desk
from tests.web.fake_oidc import CLIENT_ID, CLIENT_SECRET, FakeProvider, running_provider
from web.oidc import Provider


async def sign_in(desk_client: httpx.AsyncClient, provider: FakeProvider) -> httpx.Response:
    """Press "Se connecter avec ProConnect", let the provider answer, come back to the desk."""
    started = await desk_client.get("/connexion/oidc")
    assert started.status_code == 303, started.text
    async with httpx.AsyncClient(trust_env=False) as browser_at_provider:
        back = await browser_at_provider.get(started.headers["location"])
    assert back.status_code == 302 and back.headers["location"].startswith(f"{BASE}/connexion/oidc/retour?")
    return await desk_client.get(back.headers["location"].removeprefix(BASE))


async def test_the_identity_provider_signs_in_an_account_and_nobody_else(db: Database, tmp_path: Path) -> None:
    desk = await make_desk(db, tmp_path)
    async with running_provider() as provider:
        desk.app.state.oidc = Provider(provider.issuer, CLIENT_ID, CLIENT_SECRET)  # type: ignore[attr-defined]
        async with desk.client() as client:
            assert "Se connecter avec ProConnect" in (await client.get("/connexion")).text
            provider.email = NADIA_EMAIL.upper()
            done = await sign_in(client, provider)
            assert done.status_code == 303 and done.headers["location"] == "/demandes"
            page = await client.get("/demandes")
            assert page.status_code == 200 and "Inès" in page.text

        async with desk.client() as stranger:
            provider.email = "quelquun@exemple.fr"  # vouched for by the provider, but no account here
            refused = await sign_in(stranger, provider)
            assert refused.status_code == 400 and "pas accès au bureau" in refused.text
            assert (await stranger.get("/demandes")).status_code == 303


@pytest.mark.parametrize("tamper", ["nonce", "audience", "issuer", "expired", "key"])
async def test_a_wrong_id_token_signs_nobody_in(db: Database, tmp_path: Path, tamper: str) -> None:
    desk = await make_desk(db, tmp_path)
    async with running_provider() as provider:
        desk.app.state.oidc = Provider(provider.issuer, CLIENT_ID, CLIENT_SECRET)  # type: ignore[attr-defined]
        provider.email, provider.tamper = NADIA_EMAIL, tamper
        async with desk.client() as client:
            refused = await sign_in(client, provider)
            assert refused.status_code == 400 and "tremplin_session" not in refused.headers.get("set-cookie", "")
            assert (await client.get("/demandes")).status_code == 303


async def test_a_forged_state_or_a_wrong_secret_signs_nobody_in(db: Database, tmp_path: Path) -> None:
    desk = await make_desk(db, tmp_path)
    async with running_provider() as provider:
        provider.email = NADIA_EMAIL
        desk.app.state.oidc = Provider(provider.issuer, CLIENT_ID, "wrong-secret")  # type: ignore[attr-defined]
        async with desk.client() as client:
            assert (await sign_in(client, provider)).status_code == 400
        desk.app.state.oidc = Provider(provider.issuer, CLIENT_ID, CLIENT_SECRET)  # type: ignore[attr-defined]
        async with desk.client() as client:
            forged = await client.get("/connexion/oidc/retour?code=x&state=y")  # no flow started here
            assert forged.status_code == 400 and "expiré" in forged.text
