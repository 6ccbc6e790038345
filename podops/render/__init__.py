"""Render stage: every output of a build (feed, site, read API, private feeds, search, manifest), in memory."""
