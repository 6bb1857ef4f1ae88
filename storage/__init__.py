"""Persistence of the pledge module: tables, migrations, and repositories that run the pure
``pledge`` logic and store its results, on SQLite (default) and PostgreSQL."""
