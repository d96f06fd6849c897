"""The product side of relevance work: judged collections loaded into an index, candidate runs collected through
the ``Searcher``'s own retrievers, and the inputs ``vidsearch relevance`` works on. ``ranking`` (fusion, metrics,
tuning, reports) takes plain lists and ids and knows nothing of the index."""
