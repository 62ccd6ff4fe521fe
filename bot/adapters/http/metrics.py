"""``GET /metrics`` in Prometheus' text format (or OpenMetrics when the scraper asks for it).

Served on the bot's one port beside the health routes, so a pod needs no second port; an ingress
should route only the platforms' paths (``/slack/events``, ``/api/messages``, ``/intake/``) to the
internet and leave ``/metrics`` to the cluster's scraper.
"""

from __future__ import annotations

from aiohttp import web
from prometheus_client.exposition import choose_encoder

from bot.adapters.http.server import Endpoint
from bot.observability.metrics import Metrics

METRICS_PATH = "/metrics"


def metrics_endpoint(metrics: Metrics) -> Endpoint:
    """The endpoint; rendering is synchronous and takes well under a millisecond for this set."""

    async def scrape(request: web.Request) -> web.Response:
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        return web.Response(body=encoder(metrics.registry), headers={"Content-Type": content_type})

    return Endpoint("GET", METRICS_PATH, scrape, deadline=10.0)
