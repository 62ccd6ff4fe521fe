"""The console workspace: the whole bot in a terminal, with a simulated chat workspace."""
