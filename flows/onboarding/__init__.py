"""Onboarding: the profile fields, declared once, their questions, and /profil."""
