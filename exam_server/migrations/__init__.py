"""Alembic migrations of the exam server (a package so wheels ship them)."""
