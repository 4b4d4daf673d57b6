"""Rules that hold for a resource of any type (one per module)."""
