"""Fake France Travail and La bonne alternance APIs on 127.0.0.1, shaped from their published documentation.

- France Travail: ``POST /connexion/oauth2/access_token?realm=/partenaire`` (client credentials, form body,
  scopes ``api_offresdemploiv2 o2dsoffre``) answers ``{"access_token", "token_type", "expires_in", "scope"}``;
  ``GET /partenaire/offresdemploi/v2/offres/search`` (Bearer token) answers ``{"resultats": [...],
  "filtresPossibles": [...]}`` by ranges of at most 150: 206 with ``Content-Range: offres 0-149/353`` when
  more are left, 200 when all are in, 204 when none; 400 for ``distance`` without ``commune``.
- La bonne alternance (api.apprentissage.beta.gouv.fr): ``GET /api/job/v1/search`` (Bearer token) by
  ``latitude`` and ``longitude`` (both or neither), ``radius`` (km, 0 to 200, 30 by default), ``romes``
  (ROME codes, comma-separated) answers ``{"jobs": [...], "recruiters": [...], "warnings": [...]}``; 400 for
  a parameter out of its range. Shaped from the API's published schema: the SDK of
  mission-apprentissage/api-apprentissage (``sdk/src/routes/job.routes.ts`` for the query and the answer,
  ``sdk/src/models/job/job.model.ts`` for a job and a recruiter), the same as La bonne alternance's own
  ``/v3/jobs/search`` (mission-apprentissage/labonnealternance,
  ``shared/src/routes/v3/jobs/jobs.routes.v3.model.ts``); France Travail's offers relayed there carry
  ``identifier.partner_label`` "France Travail" and ``partner_job_id`` = France Travail's id.

Every call is recorded (``calls``); ``latency`` delays every answer (0 by default: bench/offers.py sets a
real API's time); ``mode`` makes the next answers fail: "down" (500), "slow" (waits ``delay`` seconds),
"429", "malformed" (not JSON), "shape" (JSON without the expected list), "401" (a revoked La bonne alternance
token; France Travail's credentials revoked: its token endpoint refuses them too); ``failing``
("france_travail" or "la_bonne_alternance") limits that to one API (None: both).
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CLIENT_ID, CLIENT_SECRET, LBA_TOKEN = "tremplin-test", "not-a-real-secret", "lba-test-token"
ACCESS_TOKEN = "fake-access-token"


def ft_offer(offer_id: str, title: str, *, employer: str = "Entrepôt du Port", insee: str = "92036",
             place: str = "92 - GENNEVILLIERS", rome: str = "N1103", contract: str = "CDD",
             contract_label: str = "Contrat à durée déterminée - 6 Mois", hours: str = "Temps plein",
             beginner: bool = True, alternance: bool = False) -> dict[str, Any]:
    """One offer as the search's ``resultats`` holds it (a subset of the documented fields)."""
    return {
        "id": offer_id, "intitule": title, "description": "Préparation de commandes en entrepôt.",
        "dateCreation": "2026-11-28T09:00:00.000Z", "dateActualisation": "2026-11-30T09:00:00.000Z",
        "lieuTravail": {"libelle": place, "latitude": 48.93, "longitude": 2.30, "codePostal": "92230",
                        "commune": insee},
        "romeCode": rome, "romeLibelle": "Magasinage et préparation de commandes",
        "appellationlibelle": "Préparateur / Préparatrice de commandes",
        "entreprise": {"nom": employer}, "typeContrat": contract, "typeContratLibelle": contract_label,
        "natureContrat": "E2" if alternance else "E1", "experienceExige": "D" if beginner else "E",
        "experienceLibelle": "Débutant accepté" if beginner else "2 ans",
        "dureeTravailLibelle": "35H Horaires normaux", "dureeTravailLibelleConverti": hours,
        "alternance": alternance, "nombrePostes": 2, "accessibleTH": False, "qualificationCode": "6",
        "origineOffre": {"origine": "1", "urlOrigine": f"https://candidat.francetravail.fr/offres/recherche/detail/{offer_id}"},
    }


def lba_job(job_id: str | None, title: str, *, partner: str = "La bonne alternance", partner_id: str | None = None,
            employer: str = "Garage du Centre", address: str = "12 rue de la Gare 92230 Gennevilliers",
            point: tuple[float, float] = (2.2950, 48.9260), status: str = "Active") -> dict[str, Any]:
    """One job of La bonne alternance's ``jobs``, every field of the published schema (``zJobOffer``)."""
    return {
        "identifier": {"id": job_id, "partner_label": partner, "partner_job_id": partner_id or job_id},
        "workplace": {
            "siret": "12345678900011", "name": employer, "brand": None, "legal_name": employer.upper(),
            "website": None, "description": None, "size": "10-19",
            "location": {"address": address, "geopoint": {"type": "Point", "coordinates": list(point)}},
            "domain": {"idcc": 1090, "opco": "OPCO Mobilités", "naf": {"code": "4520A", "label": "Entretien"}},
        },
        "apply": {"url": f"https://labonnealternance.apprentissage.beta.gouv.fr/emploi/{job_id}", "phone": None},
        "contract": {"start": "2027-01-04T00:00:00.000+01:00", "duration": 24, "type": ["Apprentissage"],
                     "remote": "onsite"},
        "offer": {"title": title, "description": "Apprentissage en entrepôt : réception, stockage, expédition.",
                  "rome_codes": ["N1103"], "desired_skills": [], "to_be_acquired_skills": [],
                  "access_conditions": [], "opening_count": 1,
                  "target_diploma": {"european": "3", "label": "Cap, autres formations niveau (Infrabac)"},
                  "status": status, "publication": {"creation": "2026-11-20T00:00:00.000+01:00",
                                                    "expiration": "2027-01-20T00:00:00.000+01:00"}},
    }


def lba_recruiter(recruiter_id: str, employer: str = "Transports Martin") -> dict[str, Any]:
    """One of ``recruiters`` (a company likely to hire an apprentice, no offer: ``zJobRecruiter``)."""
    return {
        "identifier": {"id": recruiter_id},
        "workplace": {
            "siret": "98765432100017", "name": employer, "brand": None, "legal_name": employer.upper(),
            "website": None, "description": None, "size": "20-49",
            "location": {"address": "3 avenue du Port 92230 Gennevilliers",
                         "geopoint": {"type": "Point", "coordinates": [2.3010, 48.9300]}},
            "domain": {"idcc": None, "opco": None, "naf": {"code": "4941A", "label": "Transports routiers"}},
        },
        "apply": {"url": f"https://labonnealternance.apprentissage.beta.gouv.fr/recruteur/{recruiter_id}",
                  "phone": None},
    }


ROME_CODES = re.compile(r"^[A-N]\d{4}(,[A-N]\d{4})*$")


@dataclass
class FakeOffersApi:
    """Both APIs on one server (each under its own path), in a thread."""

    ft_offers: list[dict[str, Any]] = field(default_factory=list)
    lba_jobs: list[dict[str, Any]] = field(default_factory=list)
    lba_recruiters: list[dict[str, Any]] = field(default_factory=lambda: [lba_recruiter("rec-1")])
    mode: str | None = None
    failing: str | None = None  # "france_travail" or "la_bonne_alternance": only that one fails (None: both)
    delay: float = 5.0
    latency: float = 0.0  # every answer waits this long first, like a real API's time (bench/offers.py)
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def searches(self, path_end: str = "/offres/search") -> list[dict[str, str]]:
        return [params for path, params in self.calls if path.endswith(path_end)]

    def start(self) -> FakeOffersApi:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
                raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # "slow": the client gave up
                    self.wfile.write(raw)

            def _failure(self, api: str) -> bool:
                if fake.failing not in (None, api):
                    return False
                if fake.mode == "slow":
                    time.sleep(fake.delay)
                elif fake.mode == "down":
                    self._send(500, {"message": "Internal error"})
                    return True
                elif fake.mode == "429":
                    self._send(429, {"message": "Too many requests"}, {"Retry-After": "1"})
                    return True
                elif fake.mode == "malformed":
                    self._send(200, b"<html>maintenance</html>")
                    return True
                elif fake.mode == "shape":
                    self._send(200, {"unexpected": True})
                    return True
                elif fake.mode == "401":
                    self._send(401, {"message": "unauthorized"})
                    return True
                return False

            def do_POST(self) -> None:
                if fake.latency:
                    time.sleep(fake.latency)
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                fake.calls.append((url.path, form))
                realm = parse_qs(url.query).get("realm", [""])[0]
                ok = (url.path == "/connexion/oauth2/access_token" and realm == "/partenaire"
                      and form.get("grant_type") == "client_credentials" and form.get("client_id") == CLIENT_ID
                      and form.get("client_secret") == CLIENT_SECRET
                      and set(form.get("scope", "").split()) == {"api_offresdemploiv2", "o2dsoffre"})
                revoked = fake.mode == "401" and fake.failing in (None, "france_travail")
                if not ok or revoked:
                    self._send(401, {"error": "invalid_client"})
                    return
                self._send(200, {"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 1499,
                                 "scope": form["scope"]})

            def do_GET(self) -> None:
                if fake.latency:
                    time.sleep(fake.latency)
                url = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                fake.calls.append((url.path, params))
                if url.path == "/partenaire/offresdemploi/v2/offres/search":
                    self._france_travail(params)
                elif url.path == "/api/job/v1/search":
                    self._la_bonne_alternance(params)
                else:
                    self._send(404, {"message": "not found"})

            def _france_travail(self, params: dict[str, str]) -> None:
                if self.headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
                    self._send(401, {"message": "unauthorized"})
                    return
                if "distance" in params and "commune" not in params:
                    self._send(400, {"message": "distance needs commune"})
                    return
                if self._failure("france_travail"):
                    return
                romes = set(params.get("codeROME", "").split(","))
                found = [o for o in fake.ft_offers if o["romeCode"] in romes
                         and (params.get("experienceExigence") != "D" or o["experienceExige"] == "D")
                         and (params.get("natureContrat") != "E2" or o["natureContrat"] == "E2")]
                first, last = (int(x) for x in params.get("range", "0-149").split("-"))
                if last - first + 1 > 150:
                    self._send(400, {"message": "range too wide"})
                    return
                page = found[first:last + 1]
                if not page:
                    self._send(204)
                    return
                end = first + len(page) - 1
                status = 206 if end + 1 < len(found) else 200
                self._send(status, {"resultats": page, "filtresPossibles": []},
                           {"Content-Range": f"offres {first}-{end}/{len(found)}", "Accept-Range": "offres 150"})

            def _la_bonne_alternance(self, params: dict[str, str]) -> None:
                if self.headers.get("Authorization") != f"Bearer {LBA_TOKEN}":
                    self._send(401, {"message": "unauthorized"})
                    return
                if ("latitude" in params) != ("longitude" in params) or not (
                        -90 <= float(params.get("latitude", 0)) <= 90
                        and -180 <= float(params.get("longitude", 0)) <= 180
                        and 0 <= float(params.get("radius", 30)) <= 200
                        and ROME_CODES.match(params.get("romes", "A0000"))):
                    self._send(400, {"statusCode": 400, "error": "Bad Request", "message": "invalid query"})
                    return
                if self._failure("la_bonne_alternance"):
                    return
                self._send(200, {"jobs": fake.lba_jobs, "recruiters": fake.lba_recruiters, "warnings": []})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def main() -> None:
    """``python -m tests.bot.fake_offers``: the fake APIs with a few offers in Gennevilliers, for a terminal demo."""
    api = FakeOffersApi(ft_offers=[
        ft_offer("201ABCD", "Préparateur de commandes", employer="Entrepôt du Port"),
        ft_offer("201ABCE", "Agent de quai", rome="N1106", employer="Logi 92", insee="92025", place="92 - COLOMBES",
                 contract_label="Mission intérimaire - 3 Mois", hours="Temps partiel"),
    ]).start()
    print(f"FRANCE_TRAVAIL_CLIENT_ID={CLIENT_ID} FRANCE_TRAVAIL_CLIENT_SECRET={CLIENT_SECRET} "
          f"TREMPLIN_OFFERS__FRANCE_TRAVAIL_URL={api.base_url}/partenaire/offresdemploi/v2 "
          f"TREMPLIN_OFFERS__FRANCE_TRAVAIL_TOKEN_URL={api.base_url}/connexion/oauth2/access_token", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        api.stop()


if __name__ == "__main__":
    main()
