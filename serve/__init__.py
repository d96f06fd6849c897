"""The query-serving side: Ray Serve deployments (query encoders, translator, searcher), the FastAPI ingress with
its versioned HTTP API, and the web search page. ``serve.app.build_app(settings)`` composes them."""
