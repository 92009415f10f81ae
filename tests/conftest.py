"""Test-wide settings."""

from __future__ import annotations

import os

# The messages tests compare are the English of the code, whatever the machine's locale;
# tests of the Dutch messages set the language themselves.
os.environ["SOFTA_LANG"] = "en"
