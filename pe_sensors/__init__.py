"""Judging PE events from video and reading PE measuring devices."""
