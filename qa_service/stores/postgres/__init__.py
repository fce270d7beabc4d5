"""Server mode's document store: PostgreSQL (documents.py), its schema (migrations.py)."""
