"""Calibrated parameters of the scorers, shipped as package data (JSON)."""
