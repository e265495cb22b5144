"""Pose landmarks from video: model, smoothing, rope evidence, drawing."""
