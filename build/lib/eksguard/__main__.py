import sys

from eksguard.cli import main

sys.exit(main())
