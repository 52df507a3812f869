from agentform.cli import main

raise SystemExit(main())
