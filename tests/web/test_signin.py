"""Signing in to the desk: a single-use link by e-mail, valid 15 minutes, limited per address and per IP, the
same answer for a known and an unknown address; sessions with an idle timeout; sign-out; CSRF on every form."""

from __future__ import annotations

import re
from pathlib import Path

from bot.config import WebSettings
from storage import Database
from tests.flows.test_handoff_kit import texts_to
from tests.web.desk_kit import BASE, NADIA_EMAIL, Desk, csrf_of, make_desk
from web.access import SESSION_COOKIE

ORIGIN = {"origin": BASE}


def link_in(desk: Desk, address: str) -> str:
    """The path of the newest link e-mailed to ``address``."""
    [*_, text] = texts_to(desk.h, address)
    found = re.search(rf"{re.escape(BASE)}(/connexion/lien/[\w-]+)", text)
    assert found, text
    return found.group(1)


async def test_a_link_signs_in_once_and_the_answer_does_not_say_whether_the_address_is_known(
    db: Database, tmp_path: Path,
) -> None:
    desk = await make_desk(db, tmp_path)
    async with desk.client() as client:
        known = await client.post("/connexion", data={"email": NADIA_EMAIL.upper()}, headers=ORIGIN)
        unknown = await client.post("/connexion", data={"email": "personne@exemple.fr"}, headers=ORIGIN)
        assert known.status_code == unknown.status_code == 200
        assert known.text == unknown.text.replace(known.text, known.text)  # same page...
        strip = re.compile(r'name="action_key" value="\w+"')
        assert strip.sub("", known.text) == strip.sub("", unknown.text)  # ...word for word
        assert texts_to(desk.h, "personne@exemple.fr") == []
        path = link_in(desk, NADIA_EMAIL)

        opened = await client.get(path)  # a mail scanner following the link uses nothing
        assert opened.status_code == 200 and "Se connecter" in opened.text
        token = path.rsplit("/", 1)[1]
        signed = await client.post("/connexion/lien", data={"token": token}, headers=ORIGIN)
        assert signed.status_code == 303 and signed.headers["location"] == "/demandes"
        cookie = signed.headers["set-cookie"]
        assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
        page = await client.get("/demandes")
        assert page.status_code == 200 and "Inès" in page.text and "Sami" not in page.text

    async with desk.client() as other:
        again = await other.post("/connexion/lien", data={"token": token}, headers=ORIGIN)
        assert again.status_code == 400 and "plus valable" in again.text and SESSION_COOKIE not in again.headers.get(
            "set-cookie", "")


async def test_links_expire_are_limited_and_sessions_end(db: Database, tmp_path: Path) -> None:
    desk = await make_desk(db, tmp_path)
    async with desk.client() as client:
        await client.post("/connexion", data={"email": NADIA_EMAIL}, headers=ORIGIN)
        token = link_in(desk, NADIA_EMAIL).rsplit("/", 1)[1]
        desk.h.clock.advance(minutes=16)
        late = await client.post("/connexion/lien", data={"token": token}, headers=ORIGIN)
        assert late.status_code == 400

        for _ in range(5):  # 3 links per address per 15 minutes: the 4th and 5th are not sent
            answer = await client.post("/connexion", data={"email": NADIA_EMAIL}, headers=ORIGIN)
            assert answer.status_code == 200 and "un lien de connexion vient d" in answer.text
        assert len(texts_to(desk.h, NADIA_EMAIL)) == 1 + 3

        foreign = await client.post("/connexion", data={"email": NADIA_EMAIL}, headers={"origin": "https://evil.test"})
        assert foreign.status_code == 403

    client = await desk.signed_in(NADIA_EMAIL)
    async with client:
        assert (await client.get("/demandes")).status_code == 200
        desk.h.clock.advance(minutes=31)  # idle too long
        expired = await client.get("/demandes")
        assert expired.status_code == 303 and expired.headers["location"] == "/connexion"

    client = await desk.signed_in(NADIA_EMAIL)
    async with client:
        csrf = await csrf_of(client)
        assert (await client.post("/deconnexion", data={})).status_code == 403  # no CSRF token: refused
        out = await client.post("/deconnexion", data={"csrf": csrf})
        assert out.status_code == 303
        assert (await client.get("/demandes")).status_code == 303


async def test_pages_carry_security_headers_and_escape_what_people_wrote(db: Database, tmp_path: Path) -> None:
    desk = await make_desk(db, tmp_path)
    ines = desk.h.chat("ines")
    await ines.send("<script>alert(1)</script> au secours pour mon CV")
    client = await desk.signed_in(NADIA_EMAIL)
    async with client:
        page = await client.get(f"/jeunes/{desk.ids['own_person']}")
        assert page.status_code == 200
        assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        headers = page.headers
        assert "script-src 'self'" in headers["content-security-policy"] and "unsafe-inline" not in headers[
            "content-security-policy"]
        assert headers["x-frame-options"] == "DENY" and headers["cache-control"] == "no-store"
        assert "<script>" not in re.sub(r'<script src="/static/desk.js" defer></script>', "", page.text)


async def test_behind_a_proxy_the_public_address_is_the_origin_of_the_forms(db: Database, tmp_path: Path) -> None:
    """Before: nginx passes the Host without the port (``$host``), so a form posted from
    https://desk.test:44619 was refused as coming from elsewhere (found by the production rehearsal)."""
    desk = await make_desk(db, tmp_path)
    desk.app.state.settings = WebSettings(public_url="https://desk.test:44619")  # type: ignore[attr-defined]
    async with desk.client() as client:  # the request reaches the desk as https://desk.test
        public = await client.post("/connexion", data={"email": NADIA_EMAIL},
                                   headers={"origin": "https://desk.test:44619"})
        foreign = await client.post("/connexion", data={"email": NADIA_EMAIL},
                                    headers={"origin": "https://desk.test:8443"})
    assert (public.status_code, foreign.status_code) == (200, 403)
