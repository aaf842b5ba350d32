"""Pure rules, free of I/O: slots, quiet hours, calendar files, dates in French."""
