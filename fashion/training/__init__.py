"""Training: architectures and presets, augmentation, the run and its epoch loop, evaluation, inference."""
