"""podops: build podcast feeds and a static site from PodOps-style YAML resources in Git."""

__version__ = "0.1.0"
