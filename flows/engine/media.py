"""What the assistant says to what it cannot read yet: voice notes, stickers, photos..."""

from __future__ import annotations

from flows.engine.script import Next
from flows.engine.turn import Turn

ANSWERS = {
    "voice": "Je ne peux pas encore écouter les messages vocaux. Tu peux l'écrire ?",
    "audio": "Je ne peux pas écouter les sons. Tu peux l'écrire ?",
    "video_note": "Je ne peux pas regarder les vidéos. Tu peux l'écrire ?",
    "video": "Je ne peux pas regarder les vidéos. Tu peux l'écrire ?",
    "photo": "Je ne peux pas voir les photos. Tu peux me l'écrire en quelques mots ?",
    "sticker": "Joli ! Mais je ne comprends que les mots. Tu peux l'écrire ?",
    "animation": "Je ne peux pas voir les GIF. Tu peux l'écrire ?",
    "document": "Je ne peux pas lire les fichiers. Garde-le pour ton rendez-vous à la mission locale.",
    "location": "Merci, mais je ne garde pas ta position. Écris plutôt le nom de ta ville.",
    "contact": "Je ne garde pas les contacts. Écris-moi plutôt ce que tu cherches.",
    "poll": "Je ne sais pas répondre aux sondages. Écris-moi ta question.",
    "emoji": "Je comprends mieux les mots. Tu peux me l'écrire ?",
    "edited": "J'ai vu que tu as modifié un message. Écris-moi plutôt un nouveau message.",
    "too_long": "Ton message est très long. Tu peux me le dire en quelques phrases ?",
    "forwarded": "Je ne lis pas les messages transférés. Dis-moi avec tes mots ce que tu cherches.",
}
DEFAULT = "Je ne peux pas lire ce type de message. Tu peux l'écrire ?"

# Said by the channel itself, outside any conversation (nothing is stored about a group).
PRIVATE_ONLY = "Je marche seulement en conversation privée. Écris-moi directement : {bot}. Je quitte ce groupe."
# When handling a message failed several times: kind, and it does not blame the person.
TROUBLE = "Oups, j'ai un souci de mon côté. Tu peux réessayer dans quelques minutes ?"
# Said once to a chat that sends far more than a person types (bot/telegram_channel.py sets the rest aside).
TOO_FAST = "Doucement 🙂 Je lis un message à la fois. Attends ma réponse avant d'écrire la suite."


async def answer_media(t: Turn) -> Next:
    """One short, kind sentence; the current question stays as it is."""
    t.say(ANSWERS.get(t.event.media or "", DEFAULT))
    return t.stay()
