"""Needs: requests for help from communities and partner agencies."""
