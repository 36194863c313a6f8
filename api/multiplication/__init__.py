"""Multiplication: when a community is ready to become two, a plan to split it, and its lineage."""
