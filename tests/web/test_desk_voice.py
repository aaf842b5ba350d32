"""The desk's words follow the voice rules for the staff: *vous*, never *tu*; no point médian; no word in
English where people read. Collected from the templates (their text, tags and template code taken out) and from
the French strings of web/*.py."""

from __future__ import annotations

import ast
import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "web"
FAMILIAR = re.compile(r"\b(?:tu|toi|ton|ta|tes)\b|\bt'", re.IGNORECASE)
POINT_MEDIAN = re.compile(r"\w·\w")
FRENCH = re.compile(r"[àâçéèêëîïôûù]|\b(?:le|la|les|des|une|vous|votre|pour|est)\b", re.IGNORECASE)


def template_texts() -> list[tuple[str, str]]:
    found = []
    for path in sorted((WEB / "templates").glob("*.html")):
        text = re.sub(r"{#.*?#}|{%.*?%}|{{.*?}}", " ", path.read_text(encoding="utf-8"), flags=re.S)
        text = re.sub(r"<[^>]+>", "\n", text)
        found += [(path.name, line.strip()) for line in text.splitlines() if line.strip()]
    return found


def code_texts() -> list[tuple[str, str]]:
    found = []
    for path in sorted(WEB.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and FRENCH.search(node.value) \
                    and not node.value.startswith(("GET ", "POST ")) and "``" not in node.value:  # not a docstring
                found.append((path.name, node.value))
    return found


def test_the_desks_texts_say_vous_and_no_point_median() -> None:
    texts = template_texts() + code_texts()
    assert len(texts) > 150, "the collector finds the desk's texts"
    broken = [f"{where}: {text}" for where, text in texts
              if FAMILIAR.search(text) or POINT_MEDIAN.search(text.replace(" · ", " - "))]
    assert not broken, "\n".join(broken)
