"""Everything that speaks nbgrader: its configuration, its API, and the one reader of the course's notebooks."""
