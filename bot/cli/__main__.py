"""`python -m bot.cli …`, as deployments and tests start Beadle in a process of its own."""

from bot.cli import main

raise SystemExit(main())
