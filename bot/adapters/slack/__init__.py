"""Slack: a Bolt ``AsyncApp`` over HTTP (production) or Socket Mode (local development)."""
