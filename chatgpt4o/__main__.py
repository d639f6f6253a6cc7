"""``python -m chatgpt4o``: the command line (see _cli)."""

from ._cli import main

raise SystemExit(main())
