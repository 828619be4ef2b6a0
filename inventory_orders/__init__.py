"""The supplier catalog, model-specific pricing, orders and their review."""
