"""The *Fiche* and *Équipe*: what an advisor does from a young person's record (and the bad input that changes
nothing), linking their own Telegram account, and a manager inviting an advisor."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from storage import Database
from storage.outbox import PENDING
from tests.flows.test_handoff_kit import advisor, texts_to
from tests.web.desk_kit import JULIEN_EMAIL, NADIA_EMAIL, THOMAS_EMAIL, csrf_of, make_desk
from web.access import CSRF_FIELD


async def test_a_reply_too_long_or_empty_changes_nothing_and_html_stays_text(db: Database, tmp_path: Path) -> None:
    desk = await make_desk(db, tmp_path)
    person = desk.ids["own_person"]
    before = list(texts_to(desk.h, "ines"))
    client = await desk.signed_in(NADIA_EMAIL)
    async with client:
        csrf = await csrf_of(client, f"/jeunes/{person}")
        long = await client.post(f"/jeunes/{person}/repondre", data={CSRF_FIELD: csrf, "text": "a" * 10_000})
        assert long.status_code == 400 and "Rien n&#39;a été envoyé" in long.text
        assert texts_to(desk.h, "ines") == before and desk.delivered == []

        html = "<b>Bonjour</b> <script>alert(1)</script>"
        sent = await client.post(f"/jeunes/{person}/repondre", data={CSRF_FIELD: csrf, "text": html})
        assert sent.status_code == 200 and "Envoyé à Inès" in sent.text
        assert "<script>alert(1)</script>" not in sent.text  # shown back as text
        assert texts_to(desk.h, "ines")[-1].endswith(html)  # Telegram receives the words as typed, as text


async def test_an_appointment_to_come_can_be_marked_excused_and_its_reminders_stop(db: Database, tmp_path: Path
                                                                                  ) -> None:
    desk = await make_desk(db, tmp_path)
    ines = desk.h.chat("ines")
    await ines.send("je veux un rendez-vous")  # scripted NLU: not understood; the appointment comes from the DB
    now = desk.h.clock.now()
    async with db.transaction() as uow:
        motif = await uow.structures.motif_by_code("ml-nanterre", "suivi")
        starts = now + dt.timedelta(days=6)
        future = await uow.appointments.add(
            person_id=desk.ids["own_person"], structure_id="ml-nanterre", lieu_id="nanterre-prefecture",
            motif_id=motif.id, agent_id=desk.accounts[NADIA_EMAIL].id, collective=False, starts_at=starts,
            ends_at=starts + dt.timedelta(minutes=30), now=now)
        await uow.outbox.add(key="reminder-test", channel="test", chat_id="ines", kind="reminder",
                             category="appointment", payload={"text": "Rappel", "buttons": []},
                             due_at=starts - dt.timedelta(days=1), now=now, person_id=desk.ids["own_person"],
                             appointment_id=future.id)
    client = await desk.signed_in(NADIA_EMAIL)
    async with client:
        page = await client.get(f"/jeunes/{desk.ids['own_person']}")
        csrf = await csrf_of(client, f"/jeunes/{desk.ids['own_person']}")
        assert page.text.count(">Excusé</button>") == 2 and page.text.count(">Venu</button>") == 1  # only the one due
        early = await client.post(f"/rendez-vous/{future.id}/statut", data={CSRF_FIELD: csrf, "status": "seen"})
        assert early.status_code == 303
        excused = await client.post(f"/rendez-vous/{future.id}/statut", data={CSRF_FIELD: csrf, "status": "excused"})
        assert excused.status_code == 303
    async with db.transaction() as uow:
        assert (await uow.appointments.get(future.id)).status == "excused"  # "venu" 6 days early was refused
        planned = [m for m in await uow.outbox.pending_for_person(desk.ids["own_person"])
                   if m.appointment_id == future.id and m.status == PENDING]
    assert planned == []


async def test_an_account_links_its_own_telegram_with_a_code_sent_from_it(db: Database, tmp_path: Path) -> None:
    """Before: only the operator could link a Telegram id (tremplin advisors add --telegram-id)."""
    desk = await make_desk(db, tmp_path)
    async with db.transaction() as uow:  # Nadia without Telegram: the desk only
        (await uow.structures.agent_by_email(NADIA_EMAIL)).telegram_id = None
    client = await desk.signed_in(NADIA_EMAIL)
    async with client:
        csrf = await csrf_of(client, "/compte")
        page = await client.post("/compte/telegram", data={CSRF_FIELD: csrf})
        [code] = re.findall(r"/relier ([A-Z2-9]{4}-[A-Z2-9]{4})", page.text)
    phone = advisor(desk.h, "7399")  # Nadia's Telegram account, unknown to the bot so far
    wrong = await phone.cmd("relier ZZZZ-ZZZZ")
    assert wrong[0].text.startswith("Ce code n'est pas valable")
    assert (await phone.cmd("jeunes"))[0].text.startswith("Je ne connais pas cette commande")
    done = await phone.cmd(f"relier {code.lower().replace('-', ' ')}")
    assert done[0].text.startswith("C'est fait, Nadia : ce compte Telegram est relié au bureau")
    assert "Inès" in "\n".join(r.text for r in await phone.cmd("jeunes"))  # an advisor from now on
    again = await advisor(desk.h, "7398").cmd(f"relier {code}")  # single use
    assert again[0].text.startswith("Ce code n'est pas valable")
    async with db.transaction() as uow:
        assert (await uow.structures.agent_by_email(NADIA_EMAIL)).telegram_id == 7399


async def test_an_advisor_books_then_moves_an_appointment_for_the_person_who_is_told(db: Database, tmp_path: Path
                                                                                   ) -> None:
    desk = await make_desk(db, tmp_path)
    person = desk.ids["own_person"]
    client = await desk.signed_in(NADIA_EMAIL)
    async with client:
        page = await client.get(f"/jeunes/{person}/rendez-vous")
        choices = re.findall(r'name="choice" value="([^"]+)"', page.text)
        assert len(choices) >= 2 and all(c.count("|") == 2 for c in choices)  # place, motif, time
        csrf = await csrf_of(client, f"/jeunes/{person}/rendez-vous")
        assert (await client.post(f"/jeunes/{person}/rendez-vous", data={CSRF_FIELD: csrf})).status_code == 400
        booked = await client.post(f"/jeunes/{person}/rendez-vous", data={CSRF_FIELD: csrf, "choice": choices[0]})
        assert booked.status_code == 200 and "Rendez-vous pris pour Inès" in booked.text
        told = [r for r in desk.h.sender.sent if r[0] == "ines"][-2:]
        assert told[0][1].text.startswith("Nadia t'a pris un rendez-vous : ")
        assert told[1][1].document is not None and told[1][1].document.filename.endswith(".ics")
        async with db.transaction() as uow:
            [new] = [a for a in await uow.appointments.upcoming_for_person(person, desk.h.clock.now())
                     if a.created_by == "agent"]
        moving = await client.get(f"/rendez-vous/{new.id}/deplacer")
        later = [c for c in re.findall(r'name="choice" value="([^"]+)"', moving.text) if c != choices[0]]
        moved = await client.post(f"/rendez-vous/{new.id}/deplacer", data={CSRF_FIELD: csrf, "choice": later[0]})
        assert moved.status_code == 200 and "Rendez-vous déplacé" in moved.text
        assert [r for r in desk.h.sender.sent if r[0] == "ines"][-2][1].text.startswith(
            "Nadia a déplacé ton rendez-vous : c'est maintenant le ")
    async with db.transaction() as uow:
        assert (await uow.appointments.get(new.id)).starts_at.isoformat() == later[0].split("|")[2]


async def test_a_manager_invites_an_advisor_who_then_signs_in(db: Database, tmp_path: Path) -> None:
    desk = await make_desk(db, tmp_path)
    client = await desk.signed_in(THOMAS_EMAIL)
    async with client:
        csrf = await csrf_of(client, "/equipe")
        bad = await client.post("/equipe", data={CSRF_FIELD: csrf, "email": "pas une adresse", "name": "Samia"})
        assert bad.status_code == 400 and "pas valide" in bad.text
        elsewhere = await client.post("/equipe", data={CSRF_FIELD: csrf, "email": JULIEN_EMAIL, "name": "Julien"})
        assert elsewhere.status_code == 400 and "autre structure" in elsewhere.text  # Boucle Nord's: not his
        invited = await client.post("/equipe", data={CSRF_FIELD: csrf, "email": "samia@ml-nanterre.exemple.fr",
                                                      "name": "Samia", "role": "advisor"})
        assert invited.status_code == 200 and "Une invitation lui est envoyée" in invited.text
    [invitation] = texts_to(desk.h, "samia@ml-nanterre.exemple.fr")
    assert "Thomas vous a ouvert un compte" in invitation and "https://desk.test/connexion" in invitation
    async with desk.client() as samia:
        await samia.post("/connexion", data={"email": "samia@ml-nanterre.exemple.fr"},
                         headers={"origin": "https://desk.test"})
        [*_, link] = texts_to(desk.h, "samia@ml-nanterre.exemple.fr")
        token = re.search(r"/connexion/lien/([\w-]+)", link).group(1)  # type: ignore[union-attr]
        signed = await samia.post("/connexion/lien", data={"token": token}, headers={"origin": "https://desk.test"})
        assert signed.headers["location"] == "/demandes"
        assert "Inès" in (await samia.get("/demandes")).text


async def test_an_advisor_records_where_the_person_is_and_a_wrong_choice_changes_nothing(db: Database,
                                                                                        tmp_path: Path) -> None:
    desk = await make_desk(db, tmp_path)
    person = desk.ids["own_person"]
    client = await desk.signed_in(NADIA_EMAIL)
    async with client:
        csrf = await csrf_of(client, f"/jeunes/{person}")
        page = await client.get(f"/jeunes/{person}")
        assert "Pas encore de réponse sur sa situation" in page.text
        wrong = await client.post(f"/jeunes/{person}/situation", data={CSRF_FIELD: csrf, "category": "millionaire"})
        assert wrong.status_code == 400 and "Rien n&#39;a été noté" in wrong.text
        done = await client.post(f"/jeunes/{person}/situation", data={CSRF_FIELD: csrf, "category": "apprenticeship"})
        assert done.status_code == 200 and "Situation notée : alternance" in done.text
        assert "noté par l&#39;équipe" in done.text
    async with db.transaction() as uow:
        [row] = await uow.outcomes.for_person(person)
        assert (row.horizon, row.category, row.recorded_by[:6]) == ("advisor", "apprenticeship", "agent:")
