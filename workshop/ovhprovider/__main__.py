from workshop.ovhprovider import main

main()
