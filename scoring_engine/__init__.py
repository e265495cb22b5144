"""Speech scoring for the oral English exam: alignment, pronunciation,
fluency, prosody, completeness and content, on the CPU."""
