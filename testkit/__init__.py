"""Test and benchmark fixtures the product does not need at run time (not shipped in the wheel)."""
