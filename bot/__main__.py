"""``python -m bot``: the ``tremplin`` command (how ``tremplin serve`` starts its children, whatever the install)."""

from bot.cli import main

if __name__ == "__main__":
    main()
