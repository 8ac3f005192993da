"""Insight for the municipality (issue 10): anonymous search analytics, coverage per kern,
indicators per opgave, data quality and the report. Plain functions over a database session;
the pages live in :mod:`sociale_kaart.web.insight`, the commands in
:mod:`sociale_kaart.cli_insight`. See docs/insight.md."""
