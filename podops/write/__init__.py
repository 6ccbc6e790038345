"""Write stage: commit a rendered build atomically, and the fingerprints and caches that skip work."""
