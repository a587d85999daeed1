"""nbgrader: the course's notebooks, what their test cells call, and grading their submissions in the sandbox."""
