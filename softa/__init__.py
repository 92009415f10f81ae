"""softa-forms: paper SOFTA-NL coding forms to a research dataset."""

__version__ = "0.1.0"
