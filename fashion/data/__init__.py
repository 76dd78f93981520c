"""The data sets: Fashion-MNIST from its IDX files (checks, scaling, statistics) and the real photos."""
