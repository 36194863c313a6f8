"""Matching over HTTP: candidates for a need, suggestions for a member (engine in ``matcher``)."""
