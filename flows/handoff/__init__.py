"""Handing over to a person: the summary, the advisors' channel, the crisis path."""
