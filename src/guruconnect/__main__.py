from guruconnect.cli import main

raise SystemExit(main())
