"""Recordings: segment registration, the segment index, timeline, thumbnails and HLS playback."""
