"""``python -m chatgpt4o``: the command line (see _cli)."""

try:
    from ._cli import main
except KeyboardInterrupt:  # Ctrl-C while Python was still importing: as quiet as later
    raise SystemExit(130) from None

raise SystemExit(main())
