"""Review: the local web app where a person resolves every flagged uncertainty."""
