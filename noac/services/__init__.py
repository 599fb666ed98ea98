"""Service layer: plain functions with a keyword-only session.

Every rule of the product lives here, so the CLI, the app and the tests obey
the same one. Functions that change data validate everything first and
commit once, so a refused call leaves the database exactly as it was.
"""
