"""The image side of llm-fleet: serving spec, capacity planner, launcher, staging."""
