"""Cost reports: what each municipality owes for a budget year, line by line, and why."""
