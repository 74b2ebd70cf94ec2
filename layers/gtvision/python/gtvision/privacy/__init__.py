"""Privacy masks: polygons per camera burned into clips, exports and thumbnails."""
