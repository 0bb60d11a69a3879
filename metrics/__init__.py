"""Managers' figures: the dashboard's summary (JSON) and Prometheus metrics, from the database."""
