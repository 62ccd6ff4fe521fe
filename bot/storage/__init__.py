"""SQL storage: tables, engines, Alembic migrations and the SQL crisis repository.

Call :func:`bot.storage.migrate.upgrade` before building a
:class:`bot.storage.repository.SqlCrisisRepository` on an engine from
:func:`bot.storage.engine.create_async_db_engine`: migrations are the only thing that creates the
schema, so a database is never half made by one path and finished by another.
"""
