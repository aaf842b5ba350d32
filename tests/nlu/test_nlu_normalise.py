"""Normalisation: apostrophes, case, accents, repeated letters, emoji, SMS spelling, offsets."""

from __future__ import annotations

import pytest

from nlu.normalise import fold, normalise, tokenise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("J’AI 19 ANS", "j ai 19 ans"),
        ("Asnières-sur-Seine", "asnieres sur seine"),
        ("stppppp", "s il te plait"),
        ("merciiiii", "merci"),
        ("nooooon", "non"),
        ("appeler", "appeler"),  # a doubled letter is a real one
        ("jcherche un taf", "je cherche un travail"),
        ("chui à asnieres", "je suis a asnieres"),
        ("jveux un rdv stp", "je veux un rendez vous s il te plait"),
        ("jpeux pas, jsais pas pk", "je peux pas je sais pas pourquoi"),
        ("bcp de boulot tkt", "beaucoup de travail t inquiete"),
        ("svp", "s il vous plait"),
        ("pq", "pourquoi"),
        ("c quand", "c est quand"),
        ("c'est", "c est"),
        ("a+", "a plus"),
        ("cœur", "coeur"),
        ("19ans", "19 ans"),
        ("rdv dem1", "rendez vous demain"),
        ("ça va ??? 😭😭", "ca va ? 😭 😭"),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_tokens_keep_their_span_in_the_original_text() -> None:
    text = "Jcherche un TAF à Asnières stppp 🙏"
    spans = {t.text: text[t.start : t.end] for t in tokenise(text)}
    assert spans["cherche"] == "Jcherche"
    assert spans["travail"] == "TAF"
    assert spans["asnieres"] == "Asnières"
    assert spans["plait"] == "stppp"
    assert spans["🙏"] == "🙏"


def test_fold_maps_every_character_back() -> None:
    text = "Éééé l’œil"
    folded, index = fold(text)
    assert folded == "e l'oeil"
    assert len(index) == len(folded) + 1 and index[-1] == len(text)
    assert text[index[folded.index("o")]] == "œ"
