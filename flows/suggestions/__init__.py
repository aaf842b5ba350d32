"""Ideas that fit the person: the matching rules and the cards."""
