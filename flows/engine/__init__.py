"""The engine: one event in, the effects and the answer in one transaction; the script's registries."""
