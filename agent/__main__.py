"""`python -m agent` runs the CLI."""

from salesagent.cli import main

main()
