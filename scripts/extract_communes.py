"""Write data/communes.yml from the npm package @etalab/decoupage-administratif (run once).

    npm install --prefix /tmp/geo @etalab/decoupage-administratif
    python scripts/extract_communes.py /tmp/geo/node_modules/@etalab/decoupage-administratif

The INSEE facts (code, name, postal codes, population, territory) come from the package. The
neighbours and the mission locale serving each commune are written here by hand: they are marked
``to_verify`` in the output until an operator checks them.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
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


def main(package_dir: str) -> None:
    """Extract the communes of the département into data/communes.yml."""
    root = Path(package_dir)
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
        })
    doc = {
        "source": {
            "package": "@etalab/decoupage-administratif",
            "version": version,
            "files": ["data/communes.json", "data/ept.json"],
            "extracted_on": dt.date.today().isoformat(),
            "fields_from_source": ["insee", "name", "postal_codes", "population", "territory", "territory_code"],
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
    main(sys.argv[1])
