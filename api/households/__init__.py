"""Households: members of one community who live together, and how they serve."""
