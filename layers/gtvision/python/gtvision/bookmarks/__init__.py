"""Bookmarks: labelled instants (or spans) of a camera's recordings, optionally in a case."""
