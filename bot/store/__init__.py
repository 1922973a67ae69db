"""Where per-user state lives: SQLite by default, PostgreSQL for several workers."""
