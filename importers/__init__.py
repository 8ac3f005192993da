"""Importers: pure readers that turn a source file into canonical HSDS service records.

They know nothing of Flask or the database; ``sociale_kaart.services.imports`` writes what they
read. See ``importers/base.py`` for the shared interface and ``importers/registry.py`` for how a
format is chosen.
"""
