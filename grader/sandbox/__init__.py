"""Running a submission's probes in confined children: protocol, client (the grader's side), server, child, confinement."""
