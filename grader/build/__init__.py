"""What is derived from the instructor's sources: releases, expected results, rubrics, and the quality gate with its mutants."""
