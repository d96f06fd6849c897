from vidsearch.cli import main

main()
