"""Privacy mask polygons rasterised for ffmpeg's overlay: the right pixels, even-odd, clipped to the frame."""

from __future__ import annotations

from gtvision.privacy import raster


def opaque(data: bytes, width: int, x: int, y: int) -> bool:
    return data[(y * width + x) * 4 + 3] == 255


def test_a_rectangle_covers_exactly_its_pixels() -> None:
    data = raster.rgba([[(0.25, 0.25), (0.75, 0.25), (0.75, 0.75), (0.25, 0.75)]], 8, 8)
    inside = {(x, y) for y in range(8) for x in range(8) if opaque(data, 8, x, y)}
    assert inside == {(x, y) for x in range(2, 6) for y in range(2, 6)}
    assert data[0:4] == b"\x00\x00\x00\x00"  # transparent outside


def test_a_triangle_and_points_outside_the_frame() -> None:
    width, height = 40, 20
    data = raster.rgba([[(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)]], width, height)
    assert opaque(data, width, 1, 1) and not opaque(data, width, width - 2, height - 2)
    clipped = raster.rgba([[(-0.5, -0.5), (2.0, -0.5), (2.0, 2.0), (-0.5, 2.0)]], 4, 4)
    assert all(clipped[i * 4 + 3] == 255 for i in range(16))


def test_two_masks_unite_and_the_pam_header_is_what_ffmpeg_reads(tmp_path) -> None:
    shapes = [[(0.0, 0.0), (0.5, 0.0), (0.5, 0.5), (0.0, 0.5)], [(0.5, 0.5), (1.0, 0.5), (1.0, 1.0), (0.5, 1.0)]]
    data = raster.rgba(shapes, 4, 4)
    assert opaque(data, 4, 0, 0) and opaque(data, 4, 3, 3) and not opaque(data, 4, 3, 0)
    path = tmp_path / "m.pam"
    raster.write_pam(str(path), shapes, 4, 4)
    raw = path.read_bytes()
    assert raw.startswith(b"P7\nWIDTH 4\nHEIGHT 4\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n")
    assert raw.endswith(data)
