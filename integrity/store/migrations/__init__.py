"""Alembic migrations of the results store (run by ``Store.open``; no alembic.ini needed).

This folder is a package only so that setuptools ships it with integrity.
"""
