"""What a submission's tests are worth: harvested cases and expected results in, scores and reasons out, no I/O."""
