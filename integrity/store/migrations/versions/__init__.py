"""Migration scripts, oldest first by revision chain (a package only so that setuptools ships it)."""
