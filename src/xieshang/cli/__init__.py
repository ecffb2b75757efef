"""The command-line face: parse input, call the engine or a service, present the result."""
