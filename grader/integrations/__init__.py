"""Course platforms: nbgrader (notebooks, their test cells, kata grade --nbgrader), Gradescope, GitHub Classroom."""
