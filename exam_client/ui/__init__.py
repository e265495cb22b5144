"""The PyQt6 seat window, its worker thread and its autopilot."""
