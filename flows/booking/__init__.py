"""Booking, moving and cancelling appointments with the mission locale."""
