"""Optical mark recognition: registration and box measurement on one page image."""
