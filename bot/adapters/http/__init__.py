"""The one HTTP server every web-facing platform shares (Slack now; Teams and the intake next)."""
