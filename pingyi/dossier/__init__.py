"""一户一档: one unit's whole year in one archive."""
