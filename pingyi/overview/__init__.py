"""The leader's one-page picture of the year."""
