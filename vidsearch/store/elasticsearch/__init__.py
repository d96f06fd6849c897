"""The Elasticsearch backend: ``backend.ElasticsearchStore`` (see docs/elasticsearch.md)."""
