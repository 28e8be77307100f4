"""``python -m go_engine`` runs the ``go-engine`` command."""

import sys

from go_engine.cli import main

sys.exit(main())
