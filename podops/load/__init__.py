"""Load stage: read the YAML resources, check them against the one declaration of the format."""
