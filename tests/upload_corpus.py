"""A corpus of bad and odd uploads, generated with PIL and numpy, each with its expected outcome."""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

OK = "ok"
ERROR = "error"
BOMB_SIDE = 40_000


@dataclass(frozen=True)
class CorpusFile:
    """One generated upload: where it is, what should happen to it, and why it is in the corpus."""

    name: str
    path: Path
    expected: str
    note: str


def _encode(image: Image.Image, format_name: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format_name, **options)
    return buffer.getvalue()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def bomb_png(width: int = BOMB_SIDE, height: int = BOMB_SIDE) -> bytes:
    """A tiny PNG whose IHDR declares width x height 8-bit grey pixels (only a few rows of data)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


def bomb_gif(width: int = 65_535, height: int = 65_535) -> bytes:
    """A GIF header declaring a 65,535 x 65,535 screen and image, with almost no data."""
    screen = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    descriptor = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)
    return screen + descriptor + b"\x02\x02\x44\x01\x00\x3b"


def shirt_shape(size: int = 200) -> np.ndarray:
    """A dark, left-right and up-down asymmetric 'L' shaped item on white, as uint8 grey."""
    canvas = np.full((size, size), 255, dtype=np.uint8)
    unit = size // 10
    canvas[1 * unit : 9 * unit, 2 * unit : 4 * unit] = 20
    canvas[7 * unit : 9 * unit, 2 * unit : 8 * unit] = 20
    return canvas


def photo_like(item: np.ndarray, size: int = 420, seed: int = 0) -> Image.Image:
    """A Fashion-MNIST item scaled up, painted navy on a light beige background, with sensor noise."""
    generator = np.random.default_rng(seed)
    scaled = np.asarray(
        Image.fromarray(item).resize((size, size), Image.Resampling.BICUBIC), dtype=np.float64
    )
    weight = np.clip(scaled / 255.0, 0.0, 1.0)[..., np.newaxis]
    background = np.array([236.0, 226.0, 208.0])
    item_colour = np.array([30.0, 42.0, 92.0])
    pixels = background * (1 - weight) + item_colour * weight
    pixels += generator.normal(0.0, 6.0, pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="RGB")


def _transparent_item(light: bool) -> Image.Image:
    """An RGBA item on a fully transparent background whose hidden colour is the item's opposite."""
    mask = shirt_shape(120) < 128
    pixels = np.zeros((120, 120, 4), dtype=np.uint8)
    item_colour, hidden_colour = ((250, 250, 245), (0, 0, 0)) if light else ((20, 30, 80), (255, 255, 255))
    pixels[..., :3] = hidden_colour
    pixels[mask, :3] = item_colour
    pixels[mask, 3] = 255
    return Image.fromarray(pixels, mode="RGBA")


MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)

SVG_DRAWING = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
    b'<rect x="30" y="10" width="40" height="80" fill="navy"/></svg>\n'
)


def corpus_contents(item: np.ndarray) -> list[tuple[str, str, str, bytes]]:
    """(file name, expected outcome, note, bytes) for every corpus file; item is a 28x28 uint8 test image."""
    generator = np.random.default_rng(1)
    shape = shirt_shape()
    shape_rgb = Image.fromarray(shape).convert("RGB")
    grey_item = Image.fromarray(255 - np.asarray(Image.fromarray(item).resize((112, 112))), mode="L")
    good_png = _encode(shape_rgb, "PNG")
    good_jpeg = _encode(shape_rgb, "JPEG", quality=90)

    frames = [Image.fromarray(np.roll(shape, shift, axis=1)).convert("P") for shift in (0, 10, 20)]
    animated = io.BytesIO()
    frames[0].save(animated, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)

    # Stored sideways: a viewer rotates it 90 degrees clockwise (EXIF orientation 6) to show it upright.
    sideways = shape_rgb.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6

    deep = (np.asarray(shape, dtype=np.uint16) * 257).astype(np.uint16)
    float_values = np.asarray(shape, dtype=np.float32) / 255.0 * 3.5 - 1.0
    float_values[0, 0], float_values[0, 1] = np.nan, np.inf

    palette_transparent = Image.fromarray(shape).convert("P")
    alpha_grey = Image.fromarray(
        np.stack([255 - shape, np.where(shape < 128, 255, 0).astype(np.uint8)], axis=-1), mode="LA"
    )

    return [
        ("not-an-image.txt", ERROR, "plain text", b"name,price\nshirt,12\n"),
        ("html-named.png", ERROR, "HTML page with a .png name", b"<!doctype html><title>x</title>\n"),
        ("empty.png", ERROR, "zero bytes", b""),
        ("png-signature-only.png", ERROR, "the 8-byte PNG signature and nothing else", good_png[:8]),
        ("truncated.png", ERROR, "first half of a PNG", good_png[: len(good_png) // 2]),
        ("truncated.jpg", ERROR, "first half of a JPEG", good_jpeg[: len(good_jpeg) // 2]),
        ("bomb-40000x40000.png", ERROR, "IHDR declares 40,000x40,000 pixels", bomb_png()),
        ("bomb-65535x65535.gif", ERROR, "GIF header declares 65,535x65,535 pixels", bomb_gif()),
        ("drawing.svg", ERROR, "SVG vector drawing", SVG_DRAWING),
        ("document-named.jpg", ERROR, "a PDF with a .jpg name", MINIMAL_PDF),
        ("one-pixel.png", OK, "1x1 pixel", _encode(Image.new("L", (1, 1), 128), "PNG")),
        (
            "strip-8000x3.png",
            OK,
            "8,000x3 strip",
            _encode(Image.fromarray(generator.integers(0, 255, (3, 8000), dtype=np.uint8)), "PNG"),
        ),
        ("animated.gif", OK, "3-frame animated GIF", animated.getvalue()),
        (
            "rgba-transparent-dark.png",
            OK,
            "dark item on a transparent background",
            _encode(_transparent_item(light=False), "PNG"),
        ),
        (
            "rgba-transparent-light.png",
            OK,
            "white item on a transparent background",
            _encode(_transparent_item(light=True), "PNG"),
        ),
        ("cmyk.jpg", OK, "CMYK JPEG", _encode(shape_rgb.convert("CMYK"), "JPEG")),
        ("grey-16bit.png", OK, "16-bit greyscale PNG", _encode(Image.fromarray(deep), "PNG")),
        (
            "palette.png",
            OK,
            "palette (P) PNG",
            _encode(shape_rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=16), "PNG"),
        ),
        (
            "palette-transparent.png",
            OK,
            "palette PNG with a transparent colour",
            _encode(palette_transparent, "PNG", transparency=255),
        ),
        ("grey-alpha.png", OK, "grey + alpha (LA) PNG", _encode(alpha_grey, "PNG")),
        (
            "float.tiff",
            OK,
            "32-bit float (mode F) TIFF with a NaN and an inf",
            _encode(Image.fromarray(float_values, mode="F"), "TIFF"),
        ),
        (
            "exif-rotated.jpg",
            OK,
            "JPEG stored sideways with EXIF orientation 6",
            _encode(sideways, "JPEG", quality=95, exif=exif),
        ),
        (
            "exif-upright.jpg",
            OK,
            "the same JPEG stored upright, no EXIF",
            _encode(shape_rgb, "JPEG", quality=95),
        ),
        ("lab.tiff", OK, "CIE LAB colour TIFF", _encode(shape_rgb.convert("LAB"), "TIFF")),
        ("bilevel.png", OK, "1-bit black and white PNG", _encode(Image.fromarray(shape).convert("1"), "PNG")),
        ("jpeg-named.png", OK, "a JPEG with a .png name", good_jpeg),
        ("all-white.png", OK, "all white", _encode(Image.new("RGB", (64, 64), "white"), "PNG")),
        ("all-black.png", OK, "all black", _encode(Image.new("RGB", (64, 64), "black"), "PNG")),
        (
            "noise-2000x2000.png",
            OK,
            "2,000x2,000 grey noise",
            _encode(
                Image.fromarray(generator.integers(0, 256, (2000, 2000), dtype=np.uint8)),
                "PNG",
                compress_level=1,
            ),
        ),
        ("item.webp", OK, "WebP", _encode(grey_item, "WEBP", quality=90)),
        ("item.bmp", OK, "BMP", _encode(grey_item, "BMP")),
        ("item.ico", OK, "ICO", _encode(grey_item.convert("RGBA"), "ICO", sizes=[(64, 64)])),
        (
            "photo-like.jpg",
            OK,
            "a test-set item scaled up on a light coloured, noisy background",
            _encode(photo_like(item), "JPEG", quality=92),
        ),
    ]


def write_corpus(directory: Path, item: np.ndarray) -> list[CorpusFile]:
    """Write the corpus into directory and return its files; item is a 28x28 uint8 Fashion-MNIST image."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    files = []
    for name, expected, note, data in corpus_contents(item):
        path = directory / name
        path.write_bytes(data)
        files.append(CorpusFile(name, path, expected, note))
    return files
