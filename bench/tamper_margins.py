"""Measure tamper detection's margins and false alarms (the figures of docs/adr/0027-tamper-detection.md).

Run: .venv/bin/python bench/tamper_margins.py [--size 1280x720] [--minutes 10]
Real H.264 (lavfi, libx264, fMP4 cut in 60 s segments as MediaMTX records, a keyframe every 2 s), decoded the way
registration decodes (`media.keyframes.decode`), judged by `recordings.tamper` against the first segment:
- a synthetic dusk: testsrc2 fading linearly to 20 % of its brightness over `--minutes`, then holding —
  clean, and with temporal noise as a camera's sensor adds in the dark (`noise=alls=12:allf=t`);
- the faults: a black picture, testsrc2 blurred (Gaussian σ = 8 px at 720p), the camera turned (another part
  of the scene: crop 60 % and scale back) and another scene (SMPTE HD bars).
For each segment: contrast, correlation with the reference, sharpness relative to the reference, and the
verdict; then the count of false alarms (dusk segments judged anything) and the smallest margins to each
threshold.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "layers" / "gtvision" / "python"))

from gtvision.media import keyframes  # noqa: E402
from gtvision.media.ffmpeg import run_ffmpeg  # noqa: E402
from gtvision.media.isobmff import probe  # noqa: E402
from gtvision.recordings import tamper  # noqa: E402

FMP4 = "movflags=+frag_keyframe+empty_moov+default_base_moof"


def segments(work: Path, name: str, source: str, vf: str, seconds: int) -> list[str]:
    """`source` through `vf`, encoded and cut into 60 s fMP4 segments; their paths in order."""
    out = work / name
    out.mkdir()
    encode = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-pix_fmt", "yuv420p", "-threads", "2"]
    cut = ["-f", "segment", "-segment_time", "60", "-segment_format", "mp4", "-segment_format_options", FMP4]
    run_ffmpeg(
        ["-y", "-f", "lavfi", "-i", f"{source}:duration={seconds}", "-vf", vf, *encode, *cut, str(out / "%03d.mp4")],
        timeout=3600,
    )
    return sorted(str(p) for p in out.iterdir())


def features(path: str, work: Path) -> tamper.Features:
    scratch = tempfile.mkdtemp(dir=work)
    decoded = keyframes.decode(path, scratch, "fmp4", 120, prefix_bytes=probe(path).first_keyframes_bytes)
    found = tamper.features(decoded.views)
    assert found is not None
    return found


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--minutes", type=int, default=10)
    args = ap.parse_args()
    width = int(args.size.split("x")[0])
    fade_s = args.minutes * 60
    seconds = fade_s + 60
    factor = f"(1-0.8*min(t/{fade_s},1))"
    dusk = f"eq=eval=frame:contrast='{factor}':brightness='0.5*{factor}-0.5'"
    scene = f"testsrc2=size={args.size}:rate=25"
    sigma = 8 * width / 1280
    work = Path(tempfile.mkdtemp(prefix="gtv-tamper-"))
    cases = {
        "dusk": segments(work, "dusk", scene, dusk, seconds),
        "dusk + sensor noise": segments(work, "noisy", scene, dusk + ",noise=alls=12:allf=t", seconds),
        "black": segments(work, "black", f"color=c=black:size={args.size}:rate=25", "null", 120),
        f"blurred (σ {sigma:g} px)": segments(work, "blur", scene, f"gblur=sigma={sigma:g}", 120),
        "turned (crop 60 %)": segments(
            work, "moved", scene, f"crop=iw*0.6:ih*0.6:iw*0.4:ih*0.3,scale={args.size}", 120
        ),
        "another scene": segments(work, "other", f"smptehdbars=size={args.size}:rate=25", "null", 120),
    }
    reference = features(cases["dusk"][0], work)
    print(
        f"Reference: the first dusk segment ({args.size}): contrast {reference.contrast:.1f},"
        f" sharpness {reference.sharpness:.3f}. Thresholds: contrast < {tamper.COVERED_CONTRAST} covered,"
        f" correlation < {tamper.MOVED_NCC} moved, sharpness < {tamper.DEFOCUS_RATIO} × reference defocused."
    )
    print()
    print("| case | segment | mean | contrast | correlation | sharpness / ref. | verdict |")
    print("|---|---:|---:|---:|---:|---:|---|")
    false_alarms, margins = 0, {"contrast": 1e9, "correlation": 1e9, "sharpness": 1e9}
    for name, paths in cases.items():
        for i, path in enumerate(paths):
            f = features(path, work)
            ncc = tamper.ncc(f.luma, reference.luma)
            ratio = f.sharpness / reference.sharpness
            verdict = tamper.classify(f, reference.luma, reference.sharpness)
            if name.startswith("dusk"):
                false_alarms += verdict is not None
                margins["contrast"] = min(margins["contrast"], f.contrast)
                margins["correlation"] = min(margins["correlation"], ncc)
                margins["sharpness"] = min(margins["sharpness"], ratio)
            print(f"| {name} | {i} | {f.mean:.1f} | {f.contrast:.1f} | {ncc:.3f} | {ratio:.2f} | {verdict or '—'} |")
    print()
    print(
        f"False alarms over the dusks: **{false_alarms}**. Smallest values seen at dusk: contrast"
        f" {margins['contrast']:.1f} (alarm below {tamper.COVERED_CONTRAST}), correlation"
        f" {margins['correlation']:.3f} (below {tamper.MOVED_NCC}), sharpness {margins['sharpness']:.2f} of the"
        f" reference's (below {tamper.DEFOCUS_RATIO})."
    )
    os.system(f"rm -rf {work}")  # noqa: S605 - our own temporary directory


if __name__ == "__main__":
    main()
