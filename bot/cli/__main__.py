"""``python -m bot.cli``: the same as the ``careerbot`` script."""

from bot.cli import main

main()
