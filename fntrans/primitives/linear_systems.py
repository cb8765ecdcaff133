"""Linear systems: solve, inv, slogdet."""
