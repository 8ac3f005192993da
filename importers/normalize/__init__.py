"""Normalisers for the values people type into activity lists (phones, days and times, costs,
postcodes and kernen, access) and the column mapping of free-form headers.

Each normaliser is a pure function that returns the normalised value *and* whether it could read
the text, so an importer can keep an unreadable value as text and flag it instead of guessing.
"""
