"""Errors of the message store. No Airflow imports."""

from __future__ import annotations


class StoreError(Exception):
    """Base class of the message store's errors."""


class InvalidRecordError(StoreError, ValueError):
    """A record handed to the store breaks a rule; the message names the record, the field and the rule.

    Nothing of the batch it came in is stored.
    """


class UnsupportedDatabaseError(StoreError):
    """The URL names a database the store cannot run on (it runs on SQLite and PostgreSQL)."""


class SchemaVersionError(StoreError):
    """The database's schema is newer than this version of the provider knows."""
