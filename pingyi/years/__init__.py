"""Past years: the campaigns by year, looking at a closed year read-only, year-over-year figures."""
