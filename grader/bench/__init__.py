"""``kata bench``: timing the corr2d family of katas in the sandbox, and the instructor's report."""
