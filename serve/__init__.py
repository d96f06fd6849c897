"""The query-serving side: Ray Serve deployments (query encoders, translator, searcher), the FastAPI ingress with
its versioned HTTP API, and the web search page. ``serve.app.build_app(settings)`` composes them."""

from vidsearch.ray_runtime import keep_serve_replicas_on_loopback

keep_serve_replicas_on_loopback()  # in every replica process, before Serve opens the replica's own gRPC port
