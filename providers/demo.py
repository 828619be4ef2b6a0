"""Demo data of the Provider dashboard (visits, charts, sales)."""
