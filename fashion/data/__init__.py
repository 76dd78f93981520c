"""The data sets: Fashion-MNIST from its IDX files (checks, scaling, statistics), the real photos and the
generated photos of things that are not clothes."""
