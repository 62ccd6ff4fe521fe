"""Drills: a made-up crisis run for practice, on its own clock, with scripted injects and a scorecard."""
