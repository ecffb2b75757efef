"""``python -m xieshang`` runs the command-line interface."""

from xieshang.cli.main import main

main()
