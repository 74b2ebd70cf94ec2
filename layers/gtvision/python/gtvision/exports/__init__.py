"""Multi-camera export packages of a case: one job per camera, the package (ZIP, signed manifest, custody PDF)."""
