"""Tests of integrity.connectors: files, SQL (SQLite and PostgreSQL) and HTTP, against real sources."""
