"""The learner's tools: the progress table, hints, watch mode, editing a stub back in, the pytest plugin."""
