"""Commands beside the build: publish, notify, preview, import and scaffold a production."""
