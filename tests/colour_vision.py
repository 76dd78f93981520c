"""Colour-vision deficiencies simulated as Machado, Oliveira and Fernandes (2009) do, and CIELAB distances.

Used by tests/test_plots.py (the palette through the matrices) and the browser test that measures a
screenshot taken through the same matrices as an SVG filter.
"""

from __future__ import annotations

import numpy as np

# Full-severity simulation matrices, applied to linear RGB
COLOUR_BLINDNESS = {
    "deuteranopia": [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ],
    "protanopia": [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ],
    "tritanopia": [
        [1.255528, -0.076749, -0.178779],
        [-0.078411, 0.930809, 0.147602],
        [0.004733, 0.691367, 0.303900],
    ],
}
SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
D65_WHITE = np.array([0.95047, 1.0, 1.08883])


def linear_rgb(srgb) -> np.ndarray:
    """sRGB values in [0, 1] (last axis the channels) as linear light."""
    srgb = np.asarray(srgb, dtype=float)
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def lab_of_linear(linear) -> np.ndarray:
    """The CIELAB coordinates (D65) of linear RGB values."""
    xyz = np.asarray(linear) @ SRGB_TO_XYZ.T / D65_WHITE
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def cielab(srgb) -> np.ndarray:
    """The CIELAB coordinates of sRGB values in [0, 1] (a screenshot's pixels / 255)."""
    return lab_of_linear(linear_rgb(srgb))


def cielab_as_seen(colour, deficiency: str | None) -> np.ndarray:
    """The CIELAB coordinates of a colour (a name, hex or sRGB in [0, 1]) as seen with this deficiency."""
    from matplotlib.colors import to_rgb

    linear = linear_rgb(to_rgb(colour) if isinstance(colour, str) else colour)
    if deficiency:
        linear = np.clip(linear @ np.array(COLOUR_BLINDNESS[deficiency]).T, 0, 1)
    return lab_of_linear(linear)


def svg_colour_matrix(deficiency: str) -> str:
    """A deficiency's matrix as an SVG feColorMatrix's values (which work in linear RGB, as it needs)."""
    rows = [[*row, 0, 0] for row in COLOUR_BLINDNESS[deficiency]] + [[0, 0, 0, 1, 0]]
    return "  ".join(" ".join(f"{value:g}" for value in row) for row in rows)
