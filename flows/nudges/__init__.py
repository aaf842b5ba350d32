"""Messages the assistant sends first: appointment reminders and the nudges, under quiet hours."""
