"""Normalisation of French as young people type it, keeping a map back to the original text.

``tokenise(text)`` folds case, accents and typographic apostrophes, squeezes repeated letters
("stppppp"), isolates emoji, expands the SMS lexicon ("jcherche" -> "je cherche") and returns tokens
that remember their span in the ORIGINAL text, so entities found on tokens get exact offsets.
``normalise(text)`` is the token texts joined by spaces: what the classifier sees.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Apostrophes, quotes and dashes that phones and keyboards produce instead of the ASCII ones.
_PUNCT = str.maketrans({
    "’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'", "′": "'",
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "−": "-",
    "«": '"', "»": '"', "“": '"', "”": '"', "\u00a0": " ", "\u202f": " ",
})
_LIGATURES = {"œ": "oe", "æ": "ae", "ß": "ss"}

# The SMS lexicon: one raw token -> its plain French words. Keys are folded (no accents, lower case).
SMS_LEXICON: dict[str, str] = {
    "jcherche": "je cherche", "jcherches": "je cherche", "jchrche": "je cherche",
    "chcherche": "je cherche", "jsuis": "je suis", "jsui": "je suis", "jss": "je suis",
    "chui": "je suis", "chuis": "je suis", "chu": "je suis", "shui": "je suis", "jsuiss": "je suis",
    "jui": "je suis", "juis": "je suis", "jveux": "je veux", "jveu": "je veux", "jpeux": "je peux",
    "jpeu": "je peux", "jpx": "je peux", "jsais": "je sais", "jsai": "je sais", "chais": "je sais",
    "jsp": "je sais pas", "jvais": "je vais", "jvai": "je vais", "jfais": "je fais", "jfai": "je fais",
    "jdois": "je dois", "jvoudrais": "je voudrais", "jvoudrai": "je voudrais", "jvoulais": "je voulais",
    "jaimerais": "j aimerais", "jcrois": "je crois", "jpense": "je pense", "jtrouve": "je trouve",
    "jtrouves": "je trouve", "jarrive": "j arrive", "jarrives": "j arrive", "jpourrais": "je pourrais",
    "jreviens": "je reviens", "jme": "je me", "jte": "je te", "jle": "je le", "jla": "je la",
    "jlai": "je l ai", "jen": "j en", "jy": "j y", "jai": "j ai", "jaime": "j aime",
    "jhabite": "j habite", "jhabites": "j habite", "jvis": "je vis", "jdors": "je dors",
    "jdor": "je dors", "jbosse": "je bosse",
    "jpourai": "je pourrai", "jcomprends": "je comprends", "jcomprend": "je comprends",
    "jsuispas": "je suis pas", "jpeuxpas": "je peux pas", "jveuxpas": "je veux pas",
    "jsaispas": "je sais pas", "jsaipa": "je sais pas", "jsaispa": "je sais pas", "g": "j ai",
    "rdv": "rendez vous", "rdvs": "rendez vous", "rendez-vous": "rendez vous", "rdz": "rendez vous",
    "stp": "s il te plait", "stpl": "s il te plait", "svp": "s il vous plait", "svpl": "s il vous plait",
    "silvousplait": "s il vous plait", "steplait": "s il te plait", "stplait": "s il te plait",
    "bcp": "beaucoup", "bcps": "beaucoup", "bocou": "beaucoup", "boku": "beaucoup", "bokou": "beaucoup",
    "pk": "pourquoi", "pq": "pourquoi", "pkoi": "pourquoi", "pourkoi": "pourquoi", "prk": "pourquoi",
    "tkt": "t inquiete", "tqt": "t inquiete", "tinquiete": "t inquiete", "taf": "travail",
    "taff": "travail", "boulot": "travail", "boulo": "travail", "job": "travail", "jobs": "travail",
    "jobi": "travail", "turbin": "travail", "travaille": "travail", "travial": "travail",
    "travaile": "travail", "travai": "travail", "travaill": "travail", "trvail": "travail",
    "tavail": "travail", "slt": "salut", "cc": "coucou", "coucouu": "coucou", "bjr": "bonjour",
    "bjour": "bonjour", "bsr": "bonsoir", "bnjr": "bonjour", "cv": "ca va", "sava": "ca va",
    "savaa": "ca va", "mrc": "merci", "mci": "merci", "mercii": "merci", "mercie": "merci",
    "msi": "merci", "dsl": "desole", "dslll": "desole", "desolee": "desole", "ptit": "petit",
    "ptite": "petite", "qlq": "quelque", "qq": "quelque", "qqch": "quelque chose",
    "qqchose": "quelque chose", "qqn": "quelqu un", "qqun": "quelqu un", "quelquun": "quelqu un",
    "tjr": "toujours", "tjrs": "toujours", "tjs": "toujours", "auj": "aujourd hui", "ajd": "aujourd hui",
    "ojd": "aujourd hui", "aujd": "aujourd hui", "aujourdhui": "aujourd hui", "ajrd": "aujourd hui",
    "dem1": "demain", "2m1": "demain", "dm1": "demain", "demin": "demain", "koi": "quoi", "koa": "quoi",
    "kwa": "quoi", "ki": "qui", "kan": "quand", "qd": "quand", "qand": "quand", "kel": "quel",
    "kelle": "quelle", "keske": "qu est ce que", "kesk": "qu est ce que", "cest": "c est",
    "sest": "s est", "ct": "c etait", "cetait": "c etait", "ya": "il y a", "yavait": "il y avait",
    "yaura": "il y aura", "yen": "il y en", "tt": "tout", "tte": "toute", "tts": "tous", "ds": "dans",
    "pr": "pour", "vs": "vous", "ns": "nous", "mm": "meme", "mnt": "maintenant", "mtn": "maintenant",
    "mtnt": "maintenant", "maint": "maintenant", "jamai": "jamais", "jms": "jamais",
    "tlm": "tout le monde", "pcq": "parce que", "pck": "parce que", "parceque": "parce que",
    "psk": "parce que", "pasque": "parce que", "bb": "bebe", "bg": "beau gosse", "nn": "non",
    "nan": "non", "nop": "non", "nope": "non", "wi": "oui", "ouai": "ouais", "ouaiss": "ouais",
    "wai": "ouais", "ouep": "ouais", "okk": "ok", "oki": "ok", "okay": "ok", "oké": "ok", "okey": "ok",
    "dac": "d accord", "dak": "d accord", "dacc": "d accord", "daccord": "d accord", "dacor": "d accord",
    "dacodac": "d accord", "pb": "probleme", "pbs": "problemes", "prob": "probleme", "pblm": "probleme",
    "pbm": "probleme", "rens": "renseignement", "aprem": "apres midi", "aprm": "apres midi",
    "apm": "apres midi", "aprèm": "apres midi", "apresmidi": "apres midi", "exo": "exercice",
    "appart": "appartement", "apart": "appartement", "frm": "formation", "forma": "formation",
    "formaton": "formation", "fomation": "formation", "alternace": "alternance",
    "alternence": "alternance", "alterance": "alternance", "aprentissage": "apprentissage",
    "apprentisage": "apprentissage", "aprentisage": "apprentissage", "conseilleur": "conseiller",
    "conseiler": "conseiller", "conseillé": "conseiller", "mision": "mission", "misson": "mission",
    "ml": "mission locale", "mlocale": "mission locale", "ptn": "putain", "tpm": "ta putain de mere",
    "mdrr": "mdr", "mdrrr": "mdr", "ptdr": "mdr", "lol": "mdr", "xd": "mdr", "jpp": "j en peux plus",
    "jenpeuxplus": "j en peux plus", "vrmt": "vraiment", "vrm": "vraiment", "vraimen": "vraiment",
    "grv": "grave", "trkl": "tranquille", "tranquil": "tranquille", "tfk": "tu fais quoi",
    "tfq": "tu fais quoi", "oqp": "occupe", "bnne": "bonne", "bne": "bonne", "bn": "bien", "bi1": "bien",
    "b1": "bien", "a+": "a plus", "a12c4": "a un de ces quatre", "biz": "bisous", "bisou": "bisous",
    "bz": "bisous", "msg": "message", "msgs": "messages", "tel": "telephone", "tél": "telephone",
    "num": "numero", "nmr": "numero", "tpeux": "tu peux", "tveux": "tu veux", "tsais": "tu sais",
    "tfais": "tu fais", "m'sieur": "monsieur", "msieur": "monsieur", "mr": "monsieur", "mme": "madame",
    "sdf": "sans domicile", "deg": "degoute", "degou": "degoute", "chelou": "bizarre", "meuf": "femme",
    "keum": "mec", "reum": "mere", "daron": "pere", "daronne": "mere", "darons": "parents",
    "zonz": "prison", "tess": "cite", "ouf": "fou", "relou": "lourd", "vener": "enerve", "vnr": "enerve",
    "zarbi": "bizarre", "teuf": "fete", "chanmé": "mechant", "chanme": "mechant", "keuf": "flic",
    "keufs": "flics", "thune": "argent", "thunes": "argent", "tune": "argent", "tunes": "argent",
    "oseille": "argent", "maille": "argent", "moula": "argent", "graille": "manger",
    "grailler": "manger", "bouffe": "manger", "bouffer": "manger", "vazy": "vas y", "vasy": "vas y",
    "vazi": "vas y", "wsh": "wesh", "ptetre": "peut etre", "ptet": "peut etre", "ptt": "peut etre",
    "peutetre": "peut etre", "sa": "ca", "com": "comme", "kom": "comme", "comen": "comment",
    "komen": "comment", "cmt": "comment", "cmnt": "comment", "commen": "comment", "ke": "que",
    "k": "que", "qu": "que", "pa": "pas", "ui": "oui", "ouii": "oui", "mw": "moi", "moa": "moi",
    "toa": "toi", "tw": "toi", "twa": "toi", "ba": "bah", "bé": "bah",
}

# Characters that are words by themselves for the classifier (emoji and pictographs).
_EMOJI = re.compile(
    "[\U0001F000-\U0001FAFF\U00002600-\U000027BF\U0001F900-\U0001F9FF\u2764\u2639\u263a\u2665\u2b50]"
)
_TOKEN = re.compile(r"[a-z0-9]+|\?|[\U0001F000-\U0001FAFF\u2600-\u27BF\u2764\u2639\u263a\u2665\u2b50]")
_DIGIT_ALPHA = re.compile(r"\d+|[a-z]+")


@dataclass(frozen=True, slots=True)
class Token:
    """A normalised word and its span ``[start, end)`` in the original text."""

    text: str
    start: int
    end: int


def fold(text: str) -> tuple[str, list[int]]:
    """Lower case, no accents, ASCII apostrophes, ligatures split, letters repeated 3+ times squeezed.

    Returns the folded text and, for each of its characters, the index of the original character it
    comes from, plus a last entry ``len(text)``: a folded span ``[s, e)`` is ``[index[s], index[e])``
    in the original (squeezed letters and dropped marks stay inside the span).
    """
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text.translate(_PUNCT)):  # every replacement is one character: indexes hold
        low = ch.lower()
        if low.isascii():
            rep = low
        elif low in _LIGATURES:
            rep = _LIGATURES[low]
        else:
            rep = _strip_accents(low)
        for c in rep:
            chars.append(c)
            index.append(i)
    out: list[str] = []
    out_index: list[int] = []
    k = 0
    while k < len(chars):
        run = k + 1
        while run < len(chars) and chars[run] == chars[k]:
            run += 1
        # "stppppp", "merciiii", "nooon": a letter typed three times or more counts once.
        keep = 1 if chars[k].isalpha() and run - k >= 3 else run - k
        out.extend(chars[k : k + keep])
        out_index.extend(index[k : k + keep])
        k = run
    out_index.append(len(text))
    return "".join(out), out_index


@lru_cache(maxsize=1024)
def _strip_accents(ch: str) -> str:
    stripped = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    if _EMOJI.match(ch) or not stripped:
        return stripped
    return stripped[0] if stripped[0].isascii() else stripped


def tokenise(text: str) -> list[Token]:
    """The normalised tokens of ``text`` (SMS lexicon expanded), each with its original span."""
    folded, index = fold(text)
    tokens: list[Token] = []
    for m in _TOKEN.finditer(folded):
        raw = m.group()
        if raw == "?" and tokens and tokens[-1].text == "?":
            continue  # "???" is one question mark
        start, end = index[m.start()], index[m.end()]
        expansion = SMS_LEXICON.get(raw)
        if expansion is None and raw[-1] == "s" and raw[:-1] in SMS_LEXICON and len(raw) > 3:
            expansion = SMS_LEXICON[raw[:-1]]
        if raw == "a" and folded[m.end() : m.end() + 1] == "+":
            expansion = "a plus"  # "a+"
        elif raw == "c" and folded[m.end() : m.end() + 1] != "'":
            expansion = "c est"  # SMS "c" is "c'est", unless written "c'"
        if expansion is not None:
            tokens.extend(Token(word, start, end) for word in expansion.split())
            continue
        if raw[0].isdigit() and not raw.isdigit():
            # "19ans", "14h30", "3eme": split digits from letters, each piece keeps its own span.
            for part in _DIGIT_ALPHA.finditer(raw):
                s, e = index[m.start() + part.start()], index[m.start() + part.end()]
                tokens.append(Token(SMS_LEXICON.get(part.group(), part.group()), s, e))
            continue
        tokens.append(Token(raw, start, end))
    return tokens


def normalise(text: str) -> str:
    """The normalised text the classifier sees: tokens joined by single spaces."""
    return " ".join(t.text for t in tokenise(text))
