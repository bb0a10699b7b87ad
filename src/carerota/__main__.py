from carerota.cli import main

main()
