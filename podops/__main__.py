"""``python -m podops``."""

from podops.cli import main

main()
