"""vidsearch: make a broadcast video archive searchable (credits, faces, scene text, captions, visual vectors)."""

__version__ = "0.1.0"
# The pipeline's version: recorded with every index so documents built by another pipeline are recognisable.
PIPELINE_VERSION = "1"
