"""Form generator: print-ready SOFTA-NL form packs and their layout."""

from formgen.pack import FormPack, generate_pack
from formgen.plan import build_layout, plan_pages

__all__ = ["FormPack", "build_layout", "generate_pack", "plan_pages"]
