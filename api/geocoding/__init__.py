"""Addresses in: what people type turned into points, asked once per provider and cached."""
