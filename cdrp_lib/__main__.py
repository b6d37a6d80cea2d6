"""``python -m cdrp_lib`` is the same as ``cdrp``."""

import sys

from cdrp_lib.cli import main

sys.exit(main())
