"""Persistence: SQLAlchemy engines for SQLite (default) and PostgreSQL."""
