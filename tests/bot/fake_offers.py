"""Fake France Travail and La bonne alternance APIs on 127.0.0.1, shaped from their published documentation.

- France Travail: ``POST /connexion/oauth2/access_token?realm=/partenaire`` (client credentials, form body,
  scopes ``api_offresdemploiv2 o2dsoffre``) answers ``{"access_token", "token_type", "expires_in", "scope"}``;
  ``GET /partenaire/offresdemploi/v2/offres/search`` (Bearer token) answers ``{"resultats": [...],
  "filtresPossibles": [...]}`` by ranges of at most 150: 206 with ``Content-Range: offres 0-149/353`` when
  more are left, 200 when all are in, 204 when none; 400 for ``distance`` without ``commune``.
- La bonne alternance: ``GET /api/job/v1/search`` (Bearer token) by ``latitude``, ``longitude``, ``radius``,
  ``romes`` answers ``{"jobs": [...], "recruiters": [...], "warnings": []}``.

Every call is recorded (``calls``); ``mode`` makes the next answers fail: "down" (500), "slow" (waits
``delay`` seconds), "429", "malformed" (not JSON), "shape" (JSON without the expected list).
"""

from __future__ import annotations

import json
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


def lba_job(job_id: str, title: str, *, partner: str = "La bonne alternance", partner_id: str | None = None,
            employer: str = "Garage du Centre",
            address: str = "12 rue de la Gare 92230 Gennevilliers") -> dict[str, Any]:
    """One job of La bonne alternance's ``jobs`` (a subset of the documented fields)."""
    return {
        "identifier": {"id": job_id, "partner_label": partner, "partner_job_id": partner_id or job_id},
        "workplace": {"name": employer, "siret": "12345678900011",
                      "location": {"address": address, "geopoint": {"type": "Point", "coordinates": [2.30, 48.93]}}},
        "offer": {"title": title, "rome_codes": ["N1103"], "description": "Apprentissage en entrepôt.",
                  "target_diploma": {"european": "3", "label": "Cap, autres formations niveau 3"},
                  "opening_count": 1, "publication": {"creation": "2026-11-20T00:00:00.000Z",
                                                      "expiration": "2027-01-20T00:00:00.000Z"}},
        "contract": {"start": "2027-01-04T00:00:00.000Z", "duration": 24, "type": ["Apprentissage"],
                     "remote": "onsite"},
        "apply": {"url": f"https://labonnealternance.apprentissage.beta.gouv.fr/offre/{job_id}", "phone": None},
    }


@dataclass
class FakeOffersApi:
    """Both APIs on one server (each under its own path), in a thread."""

    ft_offers: list[dict[str, Any]] = field(default_factory=list)
    lba_jobs: list[dict[str, Any]] = field(default_factory=list)
    mode: str | None = None
    delay: float = 5.0
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
                self.wfile.write(raw)

            def _failure(self) -> bool:
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
                return False

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                fake.calls.append((url.path, form))
                realm = parse_qs(url.query).get("realm", [""])[0]
                ok = (url.path == "/connexion/oauth2/access_token" and realm == "/partenaire"
                      and form.get("grant_type") == "client_credentials" and form.get("client_id") == CLIENT_ID
                      and form.get("client_secret") == CLIENT_SECRET
                      and set(form.get("scope", "").split()) == {"api_offresdemploiv2", "o2dsoffre"})
                if not ok:
                    self._send(401, {"error": "invalid_client"})
                    return
                self._send(200, {"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 1499,
                                 "scope": form["scope"]})

            def do_GET(self) -> None:
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
                if self._failure():
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
                if not {"latitude", "longitude"} <= set(params):
                    self._send(400, {"message": "latitude and longitude required"})
                    return
                if self._failure():
                    return
                self._send(200, {"jobs": fake.lba_jobs, "recruiters": [], "warnings": []})

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
