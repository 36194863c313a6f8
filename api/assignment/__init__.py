"""Serving together: a team for a need, and fair batch assignment of many needs at once."""
