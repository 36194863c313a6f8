"""Erasure: a member's right to erasure, across members, sign-ups, keys and the audit log."""
