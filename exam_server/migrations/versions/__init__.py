"""Alembic revision scripts, applied in order by exam_server.db.upgrade_database."""
