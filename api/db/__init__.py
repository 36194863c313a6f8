"""Persistence: models, engine set-up and Alembic migrations for both storage backends."""
