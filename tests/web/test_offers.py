"""*Offres*: the Département's team imports its employers' offers on the desk; a discriminatory criterion refuses
the file and changes nothing; an offer can be taken off; they are in the database every worker reads."""

from __future__ import annotations

import json
import re
from pathlib import Path

from storage import Database
from tests.kit import ROOT
from tests.web.desk_kit import DEPARTEMENT_EMAIL, csrf_of, make_desk
from web.access import CSRF_FIELD

EXAMPLE = ROOT / "docs/examples/employer_offers.csv"


async def test_the_departement_imports_offers_and_a_discriminatory_one_changes_nothing(db: Database, tmp_path: Path
                                                                                      ) -> None:
    desk = await make_desk(db, tmp_path)
    client = await desk.signed_in(DEPARTEMENT_EMAIL)
    async with client:
        csrf = await csrf_of(client, "/offres")
        imported = await client.post("/offres", data={CSRF_FIELD: csrf},
                                     files={"file": ("offres.csv", EXAMPLE.read_bytes(), "text/csv")})
        assert imported.status_code == 200 and "2 offres importées" in imported.text
        listed = re.findall(r'action="/offres/([\w-]+)/retirer"', imported.text)
        assert len(listed) == 2

        rows = [{"id": "dep-x", "title": "Vendeuse", "employer": "Boutique", "commune": "92050", "contract": "CDD",
                 "expires": "2027-03-01", "contact": "jobs@exemple.fr", "secteur": "logistique",
                 "requirements": "Nationalité française exigée"}]
        refused = await client.post("/offres", data={CSRF_FIELD: csrf},
                                    files={"file": ("offres.json", json.dumps(rows).encode(), "application/json")})
        assert refused.status_code == 400 and "Rien n&#39;a changé" in refused.text and "nationalite" in refused.text
        assert re.findall(r'action="/offres/([\w-]+)/retirer"', refused.text) == listed

        removed = await client.post(f"/offres/{listed[0]}/retirer", data={CSRF_FIELD: csrf})
        assert removed.status_code == 303
    async with db.transaction() as uow:
        left = await uow.employer_offers.current(desk.h.clock.now().date())
    assert [o["id"] for o in left] == listed[1:]
