"""Automatic redaction: faces and plates blurred in exported video with OpenCV's bundled detectors."""
