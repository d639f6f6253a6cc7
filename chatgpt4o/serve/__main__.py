"""``python -m chatgpt4o.serve``: the same as ``chatgpt4o serve``."""

from __future__ import annotations

import sys

from ._cli import main

sys.exit(main())
