"""Storage layer: the manifest, classic table files, archives, and the chunk store over them."""
