"""What an operator watches: Prometheus metrics (:mod:`.metrics`) and JSON logs (:mod:`.logs`).

Nothing here knows a chat platform's SDK; the HTTP server serves the metrics, and the core's edges
(adapters, scheduler, storage) report to them.
"""
