"""Fixtures the product does not need at run time: fake servers and composers for tests and benches."""
