"""Scanning: from input files to identified pages and stored box readings."""
