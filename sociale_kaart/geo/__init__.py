"""Offline geography: the gazetteer (PC4 and places), distances and optional online geocoding."""
