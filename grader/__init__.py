"""convkata's grader: manifest, implementation loading, checks (probe + judge), runner, CLI."""
