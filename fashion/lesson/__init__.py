"""The Lesson: the tutorial's steps in order, and the standalone script that reproduces a model."""
