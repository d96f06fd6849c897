"""Relevance reports: Markdown tables and PNG figures for eval, sweep and compare."""
