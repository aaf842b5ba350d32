"""Onboarding: consent, then a few questions, each saying why it is asked. Buttons first, free text
understood. The person can go back, skip what is optional, and pick up where they left off."""

from __future__ import annotations

import re
from collections.abc import Sequence

from flows import privacy
from flows.contacts import all_structures
from flows.formatting import join, months
from flows.script import Next, Option, Question, Step, on_command
from flows.territory import OUTSIDE
from flows.turn import Turn

start = Step("onboarding.start")
first_name = Step("onboarding.first_name", skip="onboarding.age", free_text=True)
age = Step("onboarding.age", back="onboarding.first_name")
commune = Step("onboarding.commune", back="onboarding.age")
commune_pick = Step("onboarding.commune_pick", back="onboarding.commune")
schooling = Step("onboarding.schooling", back="onboarding.commune")
situation = Step("onboarding.situation", back="onboarding.schooling")
rsa = Step("onboarding.rsa", back="onboarding.situation", skip="onboarding.followed_by")
followed_by = Step("onboarding.followed_by", back="onboarding.rsa", skip="onboarding.obstacles")
obstacles = Step("onboarding.obstacles", back="onboarding.followed_by", skip="onboarding.sectors")
sectors = Step("onboarding.sectors", back="onboarding.obstacles")

AFTER_ONBOARDING = "suggestions.welcome"  # once the profile is complete: the ideas that fit (flows/suggestions.py)

SCHOOLING = (
    Option("aucun", "Aucun diplôme", ("rien", "pas de diplome", "sans diplome", "aucun", "non")),
    Option("brevet", "Le brevet", ("brevet des colleges", "dnb", "3eme", "troisieme")),
    Option("cap_bep", "CAP ou BEP", ("cap", "bep", "cap bep")),
    Option("bac", "Le bac", ("bac pro", "bac general", "bac techno", "baccalaureat", "bac")),
    Option("bac_plus_2", "Bac+2 ou plus", ("bts", "dut", "but", "licence", "master", "bac 2", "bac+3", "fac")),
)
SITUATIONS = (
    Option("emploi", "Je cherche un emploi", ("emploi", "travail", "taf", "boulot", "job")),
    Option("formation", "Je cherche une formation", ("formation",)),
    Option("alternance", "Je cherche une alternance", ("alternance", "apprentissage", "contrat pro")),
    Option("etudes", "Je suis en études", ("etudes", "etudiant", "lycee", "ecole", "fac", "cours")),
    Option("en_emploi", "J'ai un travail", ("je travaille", "en emploi", "cdi", "cdd", "interim")),
    Option("rien", "Rien pour l'instant", ("rien", "je fais rien", "nothing", "je sais pas")),
)
SITUATION_OF_INTENT = {"find_job": "emploi", "find_training": "formation", "find_apprenticeship": "alternance"}
YES_NO = (
    Option("oui", "Oui", ("ouais", "ouai", "yes", "oe", "wi", "grave", "bien sur")),
    Option("non", "Non", ("nan", "no", "pas du tout", "jamais")),
    Option("nsp", "Je ne sais pas", ("jsp", "je sais pas", "sais pas", "aucune idee")),
)
FOLLOWED = (
    Option("mission_locale", "Mission locale", ("mission locale", "ml", "la mission locale")),
    Option("france_travail", "France Travail", ("france travail", "pole emploi", "pe", "ft")),
    Option("les_deux", "Les deux", ("les 2", "les deux")),
    Option("aucun", "Non, personne", ("non", "nan", "personne", "aucun", "rien")),
)
OBSTACLES = (
    Option("mobilite", "Me déplacer", ("permis", "transport", "voiture", "mobilite", "bouger", "navigo")),
    Option("logement", "Logement", ("logement", "appart", "hebergement", "dormir", "loyer", "maison")),
    Option("sante", "Santé", ("sante", "malade", "handicap", "docteur", "medecin", "psy")),
    Option("famille", "Garde d'enfants", ("enfant", "enfants", "bebe", "creche", "garde", "famille", "nounou")),
    Option("langue", "Lire, écrire", ("lire", "ecrire", "francais", "lecture", "langue", "ecriture")),
    Option("argent", "Argent", ("argent", "thunes", "sous", "dettes", "fric", "budget", "maille")),
    Option("demarches", "Papiers, démarches", ("papiers", "demarches", "administratif", "caf", "titre de sejour")),
)
SECTORS = (
    Option("logistique", "Logistique", ("entrepot", "cariste", "magasinier", "preparateur de commandes")),
    Option("batiment", "Bâtiment", ("btp", "chantier", "maçon", "macon", "electricien", "plombier", "peintre")),
    Option("hotellerie_restauration", "Cuisine, restauration",
           ("cuisine", "restauration", "restaurant", "hotel", "serveur", "boulangerie", "patisserie")),
    Option("commerce_vente", "Commerce, vente", ("vente", "commerce", "vendeur", "caissier", "magasin")),
    Option("sante_social", "Santé, social", ("aide soignant", "social", "petite enfance", "aide a domicile")),
    Option("numerique", "Numérique", ("informatique", "dev", "developpeur", "web", "code", "numerique")),
    Option("securite", "Sécurité", ("agent de securite", "securite", "vigile", "ssiap")),
    Option("transport", "Transport", ("chauffeur", "livreur", "livraison", "conduite", "bus")),
    Option("proprete", "Propreté", ("menage", "nettoyage", "proprete", "entretien")),
    Option("animation_sport", "Animation, sport", ("animateur", "sport", "bafa", "coach", "animation")),
    Option("industrie", "Industrie", ("usine", "industrie", "production", "soudeur")),
    Option("espaces_verts", "Espaces verts", ("jardin", "jardinier", "paysagiste", "espaces verts")),
    Option("beaute_bien_etre", "Beauté", ("coiffure", "esthetique", "beaute", "ongles", "maquillage")),
    Option("automobile", "Automobile", ("mecanique", "garage", "carrosserie", "mecano", "auto")),
    Option("administratif", "Bureau, accueil", ("secretariat", "accueil", "bureau", "comptabilite", "admin")),
)
SECTOR_VALUES = frozenset(o.value for o in SECTORS)
DONE, NONE = "_done", "_none"


def label(options: Sequence[Option], value: str | None) -> str:
    """The words shown for a stored answer to the question of these options.

    Per question: the same value can mean two things ("aucun": no diploma, or nobody following them).
    """
    return next((o.label for o in options if o.value == value), value or "")


# --- Consent ------------------------------------------------------------------------------


@start.ask
async def _(t: Turn) -> Question:
    if not t.data.get("counted"):  # anonymous count of first contacts, once per conversation
        t.data["counted"] = True
        await t.uow.stats.bump("conversations_started", privacy.local_day(t))
    keep = months(t.world.settings.retention.profile_months)
    return Question(
        f"Pour t'aider, je garde tes réponses pendant {keep} après ton dernier message. "
        "Seule ta mission locale les voit. Tu es d'accord ?",
        before=(
            "Salut ! Je suis Tremplin, le robot du Département des Hauts-de-Seine.",
            "Je t'aide à trouver une formation, un emploi ou une aide, et je prends tes rendez-vous "
            "avec la mission locale.",
        ),
        options=(
            Option("yes", "D'accord", ("oui", "ok", "dac", "d'acc", "vas y", "go")),
            Option("no", "Non merci", ("non", "nan", "pas d'accord")),
            Option("more", "En savoir plus", ("pourquoi", "plus", "c'est quoi", "explique")),
        ),
        columns=1,
    )


@start.explain
async def _(t: Turn) -> Question:
    question = await start.question(t)
    question.before = ("Avant de commencer, je te demande si je peux garder tes réponses.",)
    return question


@start.answer
async def _(t: Turn) -> Next:
    answer = t.choice() or ("yes" if t.is_intent("affirm") else "no" if t.is_intent("deny") else None)
    if answer == "yes":
        version = t.world.settings.privacy.notice_version
        await t.uow.consents.record(t.person, given=True, notice_version=version, now=t.now)
        await t.uow.stats.bump("consents_given", privacy.local_day(t))
        return t.goto(first_name.name, say="Merci ! Je te pose quelques questions, ça prend 2 minutes.")
    if answer == "more":
        for text in privacy.notice_before_consent(t.world.settings):  # the same notice as /confidentialite
            t.say(text)
        return t.stay(reask=True)
    if answer == "no":
        t.say("Pas de souci, je ne garde rien. La mission locale peut t'aider sans moi :")
        t.say(all_structures(t.world.territory))
        t.say("Si tu changes d'avis, écris-moi « bonjour ».")
        await t.uow.stats.bump("consents_refused", privacy.local_day(t))
        await erase_person(t)
        return t.stay()
    return t.not_understood()


async def erase_person(t: Turn) -> None:
    """Keep nothing about this person (consent refused, or outside the public): every table, not only
    the profile (the inbox rows of their earlier messages carry their id too)."""
    await privacy.erase_everything(t, None)


# --- First name ---------------------------------------------------------------------------

NOT_A_NAME = {
    "salut", "bonjour", "slt", "cc", "coucou", "hello", "yo", "wesh", "wsh", "bjr", "oui", "non", "ok", "jsp",
    "pourquoi", "quoi", "rien", "moi", "aide", "help", "merci", "stop", "bonsoir", "re", "nan", "ouais", "test",
}
NAME_INTRO = re.compile(
    r"^(?:je m ?'?appelle|jm'?appelle|moi c'?est|c'?est|mon pr[eé]nom c'?est|mon pr[eé]nom)\s+", re.IGNORECASE
)
NAME_SHAPE = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ' -]{0,29}$")


def read_first_name(text: str) -> str | None:
    """A first name from "Inès", "je m'appelle inès", "moi c'est Jean-Marc"; None if it does not look like one."""
    candidate = NAME_INTRO.sub("", text.strip()).strip(" .!,")
    if not NAME_SHAPE.match(candidate) or len(candidate.split()) > 3 or candidate.lower() in NOT_A_NAME:
        return None
    if candidate.islower() or candidate.isupper():
        return " ".join("-".join(p.capitalize() for p in word.split("-")) for word in candidate.split())
    return candidate


@first_name.ask
async def _(t: Turn) -> Question:
    return Question("C'est quoi ton prénom ? Je l'utilise juste pour te parler.")


@first_name.answer
async def _(t: Turn) -> Next:
    if t.is_intent("greet", "affirm", "deny", "thanks", "help"):
        return t.not_understood()
    name = read_first_name(t.text)
    if name is None:
        return t.not_understood()
    await t.uow.people.update(t.person, first_name=name)
    return t.next(age.name, say=f"Enchanté, {name} !")


@first_name.explain
async def _(t: Turn) -> Question:
    return Question("Écris seulement ton prénom, par exemple « Inès » ou « Karim ». Tu peux aussi passer.")


# --- Age ----------------------------------------------------------------------------------

AGE_NUMBER = re.compile(r"\b(\d{1,2})\b")
BIRTH_YEAR = re.compile(r"\b(19[89]\d|20[0-2]\d)\b")


def read_age(t: Turn) -> int | None:
    """The age from a button, an NLU entity, a number, or a birth year."""
    chosen = t.choice()
    if chosen == "under":
        return 0
    if chosen == "over":
        return 99
    if chosen and chosen.isdigit():
        return int(chosen)
    if (value := t.entity("age")) and value.isdigit():
        return int(value)
    if year := BIRTH_YEAR.search(t.text):
        return t.now.year - int(year.group(1))
    if number := AGE_NUMBER.search(t.text):
        return int(number.group(1))
    return None


@age.ask
async def _(t: Turn) -> Question:
    return Question(
        "Tu as quel âge ?",
        before=("Certaines aides dépendent de l'âge.",),
        options=[Option(str(n), str(n)) for n in range(16, 26)]
        + [Option("under", "Moins de 16 ans"), Option("over", "Plus de 25 ans")],
        columns=5,
    )


@age.answer
async def _(t: Turn) -> Next:
    years = read_age(t)
    if years is None:
        return t.not_understood()
    if years < 16:
        t.say("Merci de me l'avoir dit. Je suis fait pour les 16-25 ans, alors je ne garde rien sur toi.")
        t.say(
            "Tu peux en parler à un adulte de confiance (au collège : CPE, infirmière). "
            "Fil Santé Jeunes répond aussi : 0 800 235 236, gratuit et anonyme."
        )
        t.say(f"Les missions locales répondent aussi aux questions :\n{all_structures(t.world.territory)}")
        await t.uow.stats.bump("outside_public", privacy.local_day(t))
        await erase_person(t)
        return t.stay()
    if years > 25:
        t.say("Je suis fait pour les 16-25 ans, alors je ne garde rien sur toi.")
        t.say(
            "Pour toi, le bon contact est France Travail (l'ancien Pôle emploi) : 3949. "
            "Si tu touches le RSA (revenu de solidarité active), ton référent RSA du Département peut aussi t'aider."
        )
        await t.uow.stats.bump("outside_public", privacy.local_day(t))
        await erase_person(t)
        return t.stay()
    await t.uow.people.update(t.person, age=years, age_given_on=t.now.date())
    return t.next(commune.name, say=f"{years} ans, noté.")


# --- Commune ------------------------------------------------------------------------------


@commune.ask
async def _(t: Turn) -> Question:
    biggest = t.world.territory.largest_communes(4)
    return Question(
        "Tu habites dans quelle ville ? Écris son nom.",
        before=("Je cherche des choses près de chez toi.",),
        options=[Option(c.insee, c.name) for c in biggest] + [Option(OUTSIDE, "Hors Hauts-de-Seine")],
    )


@commune.answer
async def _(t: Turn) -> Next:
    territory = t.world.territory
    chosen = t.choice()
    if chosen == OUTSIDE or (chosen is None and re.search(r"\b(hors|pas dans le 92|paris)\b", t.folded)):
        return await _save_commune(t, OUTSIDE)
    if chosen:
        return await _save_commune(t, chosen)
    named = t.entity("commune")
    found = territory.commune_named(named) if named else None
    if found is not None:
        return await _save_commune(t, found.insee)
    guesses = territory.guess_communes(t.text)
    if len(guesses) == 1:
        return await _save_commune(t, guesses[0].insee)
    if guesses:
        t.data["commune_guesses"] = [c.insee for c in guesses]
        return t.goto(commune_pick.name)
    return t.not_understood()


@commune.explain
async def _(t: Turn) -> Question:
    question = await commune.question(t)
    question.before = ("Écris le nom de ta ville, par exemple « Nanterre » ou « Asnières ».",)
    return question


@commune_pick.ask
async def _(t: Turn) -> Question:
    guesses = [c for insee in t.data.get("commune_guesses", []) if (c := t.world.territory.commune(insee))]
    return Question(
        "Tu veux dire… ?",
        options=[Option(c.insee, c.name) for c in guesses] + [Option("_other", "Une autre ville")],
        columns=1,
    )


@commune_pick.answer
async def _(t: Turn) -> Next:
    chosen = t.choice()
    if chosen == "_other":
        return t.goto(commune.name)
    if chosen and t.world.territory.commune(chosen):
        return await _save_commune(t, chosen)
    return await commune.handle(t)


async def _save_commune(t: Turn, insee: str) -> Next:
    t.data.pop("commune_guesses", None)
    await t.uow.people.update(t.person, commune=insee)
    if insee == OUTSIDE:
        return t.next(schooling.name, say="Noté. Je connais surtout les Hauts-de-Seine, mais je peux t'aider.")
    found = t.world.territory.commune(insee)
    return t.next(schooling.name, say=f"Noté : {found.name if found else insee}.")


# --- Schooling, situation, RSA, follow-up -------------------------------------------------


@schooling.ask
async def _(t: Turn) -> Question:
    return Question(
        "Quel est ton dernier diplôme ?",
        before=("Ça m'aide à te proposer des formations à ta portée.",),
        options=SCHOOLING,
    )


@schooling.answer
async def _(t: Turn) -> Next:
    chosen = t.choice()
    if chosen is None:
        return t.not_understood()
    await t.uow.people.update(t.person, schooling=chosen)
    return t.next(situation.name, say="Merci.")


@situation.ask
async def _(t: Turn) -> Question:
    return Question("Aujourd'hui, tu en es où ?", options=SITUATIONS, columns=1)


@situation.answer
async def _(t: Turn) -> Next:
    chosen = t.choice()
    if chosen is None and t.sure:
        chosen = SITUATION_OF_INTENT.get(t.intent or "")
    if chosen is None:
        return t.not_understood()
    sectors_named = [s for s in t.entities("secteur") if s in SECTOR_VALUES]
    if sectors_named:
        await t.uow.people.update(t.person, sectors=sorted(set(t.person.sectors) | set(sectors_named)))
    await t.uow.people.update(t.person, situation=chosen)
    return t.next(rsa.name)


@rsa.ask
async def _(t: Turn) -> Question:
    return Question(
        "Tu touches le RSA ?",
        before=("Le RSA, c'est le revenu de solidarité active. Ça change les aides possibles.",),
        options=YES_NO,
        columns=3,
    )


@rsa.answer
async def _(t: Turn) -> Next:
    chosen = t.choice() or ("oui" if t.is_intent("affirm") else "non" if t.is_intent("deny") else None)
    if chosen is None:
        return t.not_understood()
    await t.uow.people.update(t.person, rsa={"oui": True, "non": False}.get(chosen))
    return t.next(followed_by.name)


@followed_by.ask
async def _(t: Turn) -> Question:
    return Question(
        "Quelqu'un t'accompagne déjà ? Une mission locale, ou France Travail (l'ancien Pôle emploi) ?",
        options=FOLLOWED,
    )


@followed_by.answer
async def _(t: Turn) -> Next:
    chosen = t.choice() or ("aucun" if t.is_intent("deny") else None)
    if chosen is None:
        return t.not_understood()
    await t.uow.people.update(t.person, followed_by=chosen)
    return t.next(obstacles.name)


# --- Obstacles and sectors: several answers -------------------------------------------------


def _multi_question(t: Turn, text: str, options: tuple[Option, ...], selected: list[str], none_label: str) -> Question:
    shown = [Option(o.value, ("✅ " if o.value in selected else "") + o.label, (o.label, *o.aliases)) for o in options]
    return Question(
        text,
        options=[*shown, Option(NONE, none_label), Option(DONE, "C'est tout")],
        columns=2,
    )


async def _multi_answer(
    t: Turn, field: str, options: tuple[Option, ...], next_step: str | None, entity: str | None = None
) -> Next:
    """Toggle with buttons (the keyboard is redrawn), or take a typed list at once."""
    values = tuple(o.value for o in options)
    selected: list[str] = list(getattr(t.person, field) or [])
    if t.event.kind == "button":
        chosen = t.button
        if chosen == DONE:
            return await _after_multi(t, options, selected, next_step)
        if chosen == NONE:
            await t.uow.people.update(t.person, **{field: []})
            return await _after_multi(t, options, [], next_step)
        if chosen in values:
            selected = [v for v in values if (v in selected) != (v == chosen)]
            await t.uow.people.update(t.person, **{field: selected})
            return t.stay(redraw=True)
        return t.not_understood()
    named = [v for v in ([*t.entities(entity)] if entity else []) if v in values]
    named = named or [v for v in t.choices() if v in values]
    if named:
        named = [v for v in values if v in named]
        await t.uow.people.update(t.person, **{field: named})
        return await _after_multi(t, options, named, next_step)
    if t.is_intent("deny") or t.choice() == NONE or t.folded in {"rien", "aucun", "non", "pas du tout"}:
        await t.uow.people.update(t.person, **{field: []})
        return await _after_multi(t, options, [], next_step)
    if t.choice() == DONE:
        return await _after_multi(t, options, selected, next_step)
    return t.not_understood()


async def _after_multi(t: Turn, options: tuple[Option, ...], selected: list[str], next_step: str | None) -> Next:
    said = join([label(options, v).lower() for v in selected]) if selected else "rien pour l'instant"
    if next_step is None and not t.data.get("editing"):
        t.say(f"Noté : {said}.")
        return await finish(t)
    return t.next(next_step or "home", say=f"Noté : {said}.")


@obstacles.ask
async def _(t: Turn) -> Question:
    return _multi_question(
        t,
        "Qu'est-ce qui te complique la vie en ce moment ? Choisis tout ce qui compte, puis « C'est tout ».",
        OBSTACLES, t.person.obstacles or [], "Rien de tout ça",
    )


@obstacles.answer
async def _(t: Turn) -> Next:
    return await _multi_answer(t, "obstacles", OBSTACLES, sectors.name)


@sectors.ask
async def _(t: Turn) -> Question:
    return _multi_question(
        t,
        "Quels métiers t'attirent ? Choisis-en un ou plusieurs, puis « C'est tout ».",
        SECTORS, t.person.sectors or [], "Je ne sais pas",
    )


@sectors.answer
async def _(t: Turn) -> Next:
    return await _multi_answer(t, "sectors", SECTORS, None, entity="secteur")


# --- End ----------------------------------------------------------------------------------


async def finish(t: Turn) -> Next:
    """Mark the profile complete and go on to what the assistant offers."""
    if t.person.onboarded_at is None:
        await t.uow.people.update(t.person, onboarded_at=t.now)
        await t.uow.stats.bump("onboardings_completed", privacy.local_day(t))
    name = f", {t.person.first_name}" if t.person.first_name else ""
    t.say(f"Merci{name} ! C'est fini pour les questions. Tu peux changer tes réponses avec /profil.")
    return t.goto(AFTER_ONBOARDING)


@on_command("start")
async def start_command(t: Turn) -> Next:
    """/start: begin, or pick up where we were."""
    step = t.conversation.step
    if step is None or step == start.name:
        return t.goto(start.name)
    name = f" {t.person.first_name}" if t.person.first_name else ""
    return t.resume(f"Re-bonjour{name} ! On reprend.")
