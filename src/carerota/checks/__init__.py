"""Checks of the care charters' promises beyond pay: visits as planned and delivered, continuity."""
