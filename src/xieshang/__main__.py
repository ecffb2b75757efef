"""``python -m xieshang`` runs the command-line interface."""

from xieshang.cli.main import main

if __name__ == "__main__":  # not when a worker process of ``serve --workers`` imports it
    main()
