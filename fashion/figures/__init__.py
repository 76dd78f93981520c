"""Figures and their words: matplotlib figures, shaded tables, and the text alternatives of both."""
