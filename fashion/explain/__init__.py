"""Why a model said what it said: the explanations as arrays, and their figures."""
