"""Test and benchmark fixtures the product never imports (not shipped in the wheel)."""
