"""``python -m ui.cli``: the same as the ``careerbot`` script."""

from ui.cli import main

main()
