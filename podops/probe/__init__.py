"""Probe stage: measure every media file a production references, through the content-hash cache."""
