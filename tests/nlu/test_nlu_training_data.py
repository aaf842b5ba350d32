"""The training data: every example parses to its own intent, every annotation is understood."""

from __future__ import annotations

from collections import Counter

from nlu import INTENTS, SECTEURS
from nlu.embedded import EmbeddedBackend
from nlu.entities import PROFILE_ENTITIES, build_gazetteer
from nlu.normalise import normalise
from nlu.safety import looks_like_distress
from nlu.training_data import load_training_data

DATA = load_training_data()


def test_every_intent_has_at_least_40_examples() -> None:
    counts = Counter(e.intent for e in DATA.examples)
    assert set(counts) == set(INTENTS)
    assert min(counts.values()) >= 40, counts


def test_no_example_is_given_two_intents() -> None:
    seen: dict[str, str] = {}
    for example in DATA.examples:
        key = normalise(example.text)
        assert seen.setdefault(key, example.intent) == example.intent, example.text


def test_every_training_example_parses_to_its_intent(embedded: EmbeddedBackend) -> None:
    # One test, not one per example (they were 2,680 of the suite's tests): the message lists every miss.
    missed = [(e.text, e.intent, found) for e in DATA.examples
              if (found := embedded.parse_sync(e.text).intent.name) != e.intent]
    assert not missed, f"{len(missed)} of {len(DATA.examples)} examples parse to another intent:\n" + "\n".join(
        f"  {text!r}: {found}, not {intent}" for text, intent, found in missed)


def test_every_annotation_has_a_canonical_value() -> None:
    gaz = build_gazetteer(DATA)
    communes = set(gaz.communes)
    assert len(communes) == 37 and "hors92" in communes  # the 36 of the département, and "another one"
    for example in DATA.examples:
        for ent in example.entities:
            span = example.text[ent.start : ent.end]
            values = {m.value for m in gaz.find(span, about_work=True) if m.entity == ent.entity}
            assert len(values) == 1, (ent.entity, span)
            allowed = PROFILE_ENTITIES.get(ent.entity) or (communes if ent.entity == "commune" else SECTEURS)
            assert values <= set(allowed), (ent.entity, span)


def test_the_safety_net_knows_every_distress_example_and_few_others() -> None:
    missed = [e.text for e in DATA.examples if e.intent == "distress" and not looks_like_distress(normalise(e.text))]
    assert missed == []
    false_alarms = [e.text for e in DATA.examples if e.intent != "distress" and looks_like_distress(normalise(e.text))]
    assert len(false_alarms) <= 5, false_alarms


def test_the_profile_entities_are_annotated_for_rasa() -> None:
    # Rasa's RegexEntityExtractor only uses a lookup table named like an entity annotated somewhere.
    annotated = {e.entity for ex in DATA.examples for e in ex.entities}
    for entity in PROFILE_ENTITIES:
        assert entity in annotated, entity
        assert DATA.lookups.get(entity), f"no lookup table {entity!r}"
