"""``python -m assurance.cli``."""

from assurance.cli import main

main()
