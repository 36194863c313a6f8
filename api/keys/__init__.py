"""API keys: list, issue, rotate and revoke (metadata only; the key itself once)."""
