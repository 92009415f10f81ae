"""Export: the manual's named files, the research dataset, reports."""
