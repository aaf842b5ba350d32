"""Pure rules, free of I/O: slots, the agenda, quiet hours, calendar files, dates in French."""
