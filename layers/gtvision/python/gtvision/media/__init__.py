"""Media tools: ffmpeg, ISO-BMFF, clipping, renditions, frames and the vehicle analysers."""
