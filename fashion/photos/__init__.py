"""The user's photos: the pipeline to 28x28, "none of the ten", the photos kept to teach a model."""
