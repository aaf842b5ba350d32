"""The distress safety net: patterns that flag danger whatever the classifier thinks.

Missing a young person who says they want to die, are beaten, sleep outside tonight or are hungry is
the one mistake the assistant must not make; a false alarm only shows the emergency numbers to
someone who did not need them. So these patterns are wide, and run on the normalised text (SMS
spelling expanded, no accents) of every message.
"""

from __future__ import annotations

import re

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
    r"\bmettre un terme\b", r"\bpartir pour toujours\b", r"\benvie de tout arreter\b",
    r"\bidees? de mort\b",
    r"\braison de vivre\b", r"\bplus exister\b", r"\bvie (?:ne )?vaut rien\b", r"\bme faire mal\b",
    r"\bme blesser\b",
    r"\ba quoi bon\b", r"\bsur (?:le|un) toit\b", r"\bau bord du (?:vide|toit|quai)\b",
    r"\bsur les rails\b",
    r"\bsur le rebord\b", r"\boverdose\b", r"\bdetresse\b", r"\bbout du rouleau\b", r"\bbord du pont\b",
    r"\bkms\b", r"\bveux plus etre la\b", r"\bplus envie d etre la\b", r"\bplus de sens\b",
    # violence, danger
    r"\b(?:me|m|nous|on me) ?(?:frappe|frappee?s?|frapper|bat|battre|tape|taper|tabass\w*|cogne|cogner)\b",
    r"\bfrapp", r"\bbattue?s?\b", r"\bagress", r"\bviol(?:e|ee|er|ees|es|ent|ence|ences)?\b",
    r"\bviolente?s?\b",
    r"\bmenac", r"\ben danger\b", r"\bpas en securite\b",
    r"\bpeur (?:de rentrer|pour ma vie|que? (?:il|ils|elle|on) me)",
    r"\b(?:va|vont|veut|veulent|vais) me tuer\b", r"\b(?:me|m) (?:force|forcee|oblige|obligee)\b",
    r"\bprostitu", r"\bau secours\b", r"\bsos\b", r"(?<!aide d )\burgence\b", r"\bme suit\b",
    r"\benfermee?\b",
    r"\bme suivre\b", r"\btabass", r"\bfais taper\b", r"\bforcee\b", r"\burgent\w* aidez moi\b",
    r"\bc est grave\b",
    r"\bviolences? conjugales?\b", r"\bil est la\b", r"\bdes coups\b", r"\bdes bleus\b", r"\betrangl",
    r"\bcouteau\b",
    r"\barmes?\b", r"\bbraque", r"\brackett", r"\battouch", r"\btouchee? sans\b", r"\bpolice\b",
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
