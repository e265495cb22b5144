"""Qt programs at exam seats and PE stations; they reach the server by HTTP."""
