"""Durable timers: the loop that fires due pages, safe with several replicas."""
