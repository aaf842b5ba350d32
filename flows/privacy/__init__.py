"""What we keep and why: consent, /mes_donnees, /supprimer."""
