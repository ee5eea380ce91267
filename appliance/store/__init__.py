"""Persistence: the relational store (SQLAlchemy + Alembic) and the vector index."""
