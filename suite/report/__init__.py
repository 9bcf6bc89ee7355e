"""Tables built from the results store: datasets, leaderboard (and, later, ablations)."""
