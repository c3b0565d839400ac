import sys

from rlsparse_check.cli import main

sys.exit(main())
