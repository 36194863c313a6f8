"""Feedback on suggestions and invitations, and the re-ranker learned from it."""
