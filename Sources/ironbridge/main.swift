print("ironbridge")
