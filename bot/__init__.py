"""crisisbot: run a company's social-media crisis plan from chat."""

__version__ = "0.1.0"
