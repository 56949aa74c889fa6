"""API schemas of the catalogue, one module per resource, derived from the models."""
