"""The distress alarm: when the assistant shows the emergency numbers and alerts every advisor.

Missing a young person who says they want to die, are beaten, sleep outside tonight or are hungry is
the one mistake the assistant must not make; a false alarm shows the emergency numbers to someone who
only gave their first name, and sends an URGENT alert to every advisor. Two parts:

- ``certain_danger(text)``: the safety net, wide patterns run on the normalised text (SMS spelling
  expanded, no accents) of every message. Both backends put ``distress`` first at 0.9 when it matches.
- ``raises_alarm(parsed)``: THE rule the engine applies to every message: certain danger, or the
  classifier sure enough of ``distress`` (``ALARM_CONFIDENCE``) on a message that is more than an answer
  made only of a first name, a place, a trade or an age. A classifier that ranks ``distress`` first at
  0.14 for "Moussa" or 0.16 for "licence" (it has never seen these words) is not an alarm.

``nlu/false_alarms.yml`` lists what must never raise it; ``tremplin nlu evaluate`` counts both.
"""

from __future__ import annotations

import re

from nlu.normalise import normalise, tokenise
from nlu.result import ParseResult

DISTRESS = "distress"
# The classifier's confidence from which "distress" raises the alarm. On the held-out set the distress
# messages the net does not see get 0.56 to 0.97; the messages of nlu/false_alarms.yml of four words or
# more stay below 0.5 (see docs/nlu.md). Everything the net sees is at 0.9 or more whatever this says.
ALARM_CONFIDENCE = 0.5
# On one to three words the classifier has almost nothing to go on and its confidence means little: a
# first name it never saw reached 0.65 in cross-validation, "tout me va" gets 0.55. There it must be
# surer; short cries for help ("au secours", "je veux mourir", "je craque") are the net's business.
SHORT_MESSAGE_WORDS = 3
SHORT_ALARM_CONFIDENCE = 0.7

_PATTERNS = [
    # suicidal thoughts, self-harm
    r"suicid", r"\bmourir\b(?! de rire)", r"\bcrever\b", r"\bme tuer\b", r"\ben finir\b",
    r"\bplus (?:envie de |le gout de )?vivre\b", r"\bmettre fin a (?:mes jours|ma vie)\b",
    r"\bfoutre en l ?air\b",
    r"\bsauter (?:du|d un|par la|de la|depuis) ", r"\bsous (?:un|le) (?:train|metro|rer|bus|tram)\b",
    r"\b(?:pris|avale|prendre|avaler) (?:\w+ ){0,3}(?:cachets|medicaments|pilules)\b",
    r"\bscarifi", r"\bme (?:fais|fait|faire|suis fait) du mal\b", r"\bmutil",
    r"\bme (?:suis )?(?:encore )?coupe\w*\b(?! (?:les|mes) (?:cheveux|ongles))",
    r"\bveines\b", r"\badieu\b", r"\bidees noires\b", r"\bdisparaitre\b", r"\bplus envie de rien\b",
    r"\bmieux sans moi\b", r"\bsi j etais mort", r"\bplus jamais me reveiller\b", r"\bme pendre\b",
    r"\btiens plus\b", r"\btout s arrete\b", r"\bla mort\b", r"\bserais? (?:plus|encore) la\b",
    r"\bsuis plus la\b",
    r"\bplus etre la\b", r"\bforce de vivre\b", r"\bune ts\b", r"\btentative\b", r"\bse tuer\b",
    r"\bpense a sauter\b",
    r"\bj en peux plus\b", r"\bfaire une (?:betise|connerie)\b",
    r"\bme (?:flinguer|buter|supprimer|pendre|jeter)\b",
    r"\bune corde\b", r"\bmarre de (?:la vie|vivre)\b", r"\bsert a rien de vivre\b",
    r"\bplus me reveiller\b",
    r"\bmettre un terme\b",
    r"\b(?:vais|veux|vai|va) tout arreter\b", r"\b(?:pas|plus) de solution pour moi\b",
    r"\bpartir pour toujours\b", r"\benvie de tout arreter\b",
    r"\bidees? de mort\b",
    r"\braison de vivre\b", r"\bplus exister\b", r"\bvie (?:ne )?vaut rien\b", r"\bme faire mal\b",
    r"\bme blesser\b",
    r"\ba quoi bon\b", r"\bsur (?:le|un) toit\b", r"\bau bord du (?:vide|toit|quai)\b",
    r"\bsur les rails\b",
    r"\bsur le rebord\b", r"\boverdose\b", r"\bdetresse\b", r"\bbout du rouleau\b", r"\bbord du pont\b",
    r"\bje craque\b(?! pour)", r"\b(?:suis|etre|sens|completement|vraiment|trop) a bout\b", r"\ba bout de forces?\b",
    r"\bkms\b", r"\bveux plus etre la\b", r"\bplus envie d etre la\b", r"\bplus de sens\b",
    # violence, danger
    r"\b(?:me|m|nous|on me) ?(?:frappe|frappee?s?|frapper|bat|battre|tape|taper|tabass\w*|cogne|cogner)\b",
    r"\bfrapp", r"\bbattue?s?\b", r"\bagress", r"\bviol(?:e|ee|er|ees|es|ent|ence|ences)?\b",
    r"\bviolente?s?\b",
    r"\bmenac", r"\ben danger\b", r"\bpas en securite\b",
    r"\bpeur (?:de rentrer|pour ma vie|que? (?:il|ils|elle|on) me)",
    r"\b(?:va|vont|veut|veulent|vais) me tuer\b", r"\b(?:me|m) (?:force|forcee|oblige|obligee)\b",
    r"\bprostitu", r"\bau secours\b", r"\bsos\b", r"(?<!aide d )\burgence\b",
    # followed (stalked), not followed by an advisor: "personne ne me suit", "la mission locale me suit"
    r"(?<!\bne )(?<!\bqui )(?<!\bpersonne )(?<!\bconseiller )(?<!\bconseillere )(?<!\blocale )(?<!\bml )"
    r"(?<!\btravail )(?<!\bemploi )(?<!\breferent )(?<!\breferente )(?<!\beducateur )(?<!\beducatrice )"
    r"(?<!\bsociale )\bme suit\b(?! (?:pas|plus|deja)\b)",
    r"\benfermee?\b",
    r"\bme suivre\b", r"\btabass", r"\bfais taper\b", r"\bforcee\b", r"\burgent\w* aidez moi\b",
    r"\bc est grave\b",
    r"\bviolences? conjugales?\b", r"\bil est la\b", r"\bdes coups\b", r"\bdes bleus\b", r"\betrangl",
    r"\bcouteau\b",
    r"\barmes?\b", r"\bbraque", r"\brackett", r"\battouch", r"\btouchee? sans\b",
    # the police, except as a trade ("police", "agent de police", "travailler dans la police")
    r"^(?!(?:la |l )?police$)(?!.*\b(?:agents?|adjointe?|ecole|concours|metiers?|travailler|bosser|rentrer|entrer"
    r"|integrer|etre) (?:de |d |dans )?(?:la )?police\b)(?=.*\bpolice\b(?! (?:municipale|nationale|scientifique)\b))",
    r"\bsecours\b(?! financier)",
    r"\b(?:oncle|pere|beau pere|frere|cousin|prof|patron|chef|voisin|copain|mec|ex) me touche\b",
    r"\bappel\w* (?:le )?(?:17|112|15|18|114|119|3919|3114)\b", r"\bleve la main sur moi\b",
    r"\bclaques?\b",
    r"\bgifl", r"\bpoignard", r"\babus", r"\binceste\b", r"\bchantage\b", r"\bsequestr", r"\bde force\b",
    r"\bforce\w* a me marier\b", r"\bexcision\b", r"\bproxenete\b", r"\bmenaces? de mort\b",
    r"\bme faire taper\b",
    r"\bme taper\b", r"\bcasse le bras\b", r"\bme fait du mal\b", r"\bme fait peur\b",
    r"\bphotos? intimes?\b",
    r"\bmaltrait", r"\bceinture\b", r"(?<!tu me )(?<!vous me )\bharcel\w*\b(?! (?:avec|de) )",
    r"\bpeur de (?:lui|elle|mon|ma|mes|rentrer|mourir|sortir)\b",
    # nowhere to sleep tonight
    r"\bdor[ts]? (?:dehors|dans la rue|dans (?:ma|une|la|sa) voiture|dans le metro|dans (?:une|la) cage|a la gare)",
    r"\bdormir dehors\b", r"\ba la rue\b", r"\bsans abri\b", r"\bsans domicile\b", r"\bsdf\b",
    r"\bnulle part (?:ou|pour) dormir\b", r"\b(?:pas|sais pas) ou dormir\b", r"\bpas d endroit ou dormir\b",
    r"\bmis(?:e)? (?:dehors|a la porte)\b", r"\b(?:pas|plus) de toit\b", r"\bsuis dehors\b", r"\b115\b",
    r"\bvire de chez moi\b", r"\bvais dormir ou\b", r"\bou je vais dormir\b", r"\bjete dehors\b",
    r"\bdans la rue\b",
    r"\bsans logement ce soir\b", r"\bpas de logement ce soir\b", r"\bdans le froid\b", r"\bsquat",
    r"\bhebergement d urgence\b", r"\bvi[st] dans (?:ma|une|sa) voiture\b", r"\bsans toit\b",
    r"\bdehors (?:ce soir|cette nuit)\b", r"\bheberger (?:ce soir|cette nuit)\b", r"\brien pour manger\b",
    r"\benfui", r"\bfugu", r"\bje dors ou\b", r"\bnulle part ou aller\b",
    r"\bpas ou aller (?:ce soir|cette nuit|dormir)", r"\bla nuit (?:dehors|a la gare|dans la rue)",
    r"\bdor[ts]? dans (?:un|une|le|la|ma|sa|des) (?:parc|voiture|rue|gare|metro|cage|escalier|hall|squat|tente|bus)",
    # hunger
    r"\bai (?:trop |tellement |tres )?faim\b", r"\brien mange\b", r"\bpas mange\b", r"\brien a manger\b",
    r"\bde quoi manger\b", r"\bmange pas\b", r"\bfaim\b", r"\bpas manger\b", r"\bfrigo\b",
    r"\brien avale\b",
    r"\bun repas tous les\b", r"\bla dalle\b", r"\brien manger\b", r"\bme nourrir\b",
    r"\bnourrir mes enfants\b",
]
_NET = re.compile("|".join(f"(?:{p})" for p in _PATTERNS))


def looks_like_distress(normalised: str) -> bool:
    """True when the normalised text matches any distress pattern."""
    return _NET.search(normalised) is not None


def certain_danger(text: str) -> bool:
    """True when the message, whatever else it says, matches the safety net: "je m'appelle Inès et je
    veux mourir" is certain danger even though it starts like a first name."""
    return looks_like_distress(normalise(text))


# Entities that make a message an answer to one of the bot's questions (the profile ones included:
# diploma, obstacle, support, situation, RSA), and the small words that may come with them ("la
# sécurité", "j'ai 19 ans", "moi c'est Inès", "à Nanterre").
ANSWER_ENTITIES = frozenset({
    "first_name", "commune", "secteur", "age", "time", "part_of_day", "diplome", "obstacle", "suivi", "situation",
    "rsa",
})
_SMALL_WORDS = "le la les l un une des de du d a au aux en dans sur vers chez et ou j ai je suis moi c est ans an mon"
_POLITE_WORDS = "toi vous salut bonjour bonsoir coucou merci"
_ANSWER_WORDS = frozenset(_SMALL_WORDS.split()) | frozenset(_POLITE_WORDS.split())


def only_an_answer(parsed: ParseResult) -> bool:
    """True when every word of the message is a first name, a commune, a trade, an age or a time (or a
    small word around one): "vidange", "la sécurité", "Nanterre", "Moussa et toi ?"."""
    spans = [(e.start, e.end) for e in parsed.entities if e.entity in ANSWER_ENTITIES]
    if not spans:
        return False
    for token in tokenise(parsed.text):
        inside = any(start <= token.start and token.end <= end for start, end in spans)
        if not inside and token.text not in _ANSWER_WORDS and token.text != "?":
            return False
    return True


def raises_alarm(parsed: ParseResult) -> bool:
    """THE alarm rule (emergency numbers and an URGENT alert to every advisor), for either backend:

    1. the safety net sees danger in the text (``certain_danger``), whatever the classifier says; or
    2. ``distress`` is first with a confidence of at least ``ALARM_CONFIDENCE`` (``SHORT_ALARM_CONFIDENCE``
       on a message of one to three words), and the message is more than an answer made only of a first
       name, a commune, a trade, an age or a time.
    """
    if certain_danger(parsed.text):
        return True
    if parsed.intent.name != DISTRESS:
        return False
    words = [w for w in normalise(parsed.text).split() if w.isalnum()]
    needed = SHORT_ALARM_CONFIDENCE if len(words) <= SHORT_MESSAGE_WORDS else ALARM_CONFIDENCE
    return parsed.intent.confidence >= needed and not only_an_answer(parsed)
