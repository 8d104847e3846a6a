"""Where grades go: saved results, the gradebook, grades.csv, the autograded tree and the LMS exports."""
