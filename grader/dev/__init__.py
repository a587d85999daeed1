"""Developer tools (``kata dev``): the sample class, the mistakes catalogue and the mutation score."""
