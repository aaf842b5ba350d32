"""What became of the young people: the outcome questions, and the report's events about appointments."""
