"""Rules (one per module)."""
