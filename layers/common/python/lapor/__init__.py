"""Lapor: the shared domain package of the complaint pipeline (models, routing, deadlines, storage)."""
