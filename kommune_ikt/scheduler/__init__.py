"""The one background scheduler per deployment, guarded by a database lock."""
