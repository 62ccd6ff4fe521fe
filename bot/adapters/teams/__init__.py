"""Microsoft Teams: the Teams SDK app on crisisbot's aiohttp server, Adaptive Cards, TeamsChat."""
