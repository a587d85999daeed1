"""What a kata is: the manifest, paths, implementation folders, known mistakes, scoring, stubs."""
