"""The operator's data files: the territory, the catalogue, opening hours, and how they are read."""
