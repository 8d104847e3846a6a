"""Test data: submissions the grader must score fairly, and attacks it must resist."""
