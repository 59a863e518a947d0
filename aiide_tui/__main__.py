from aiide_tui.cli import main

main()
