"""Who handed in what: submissions found in a folder, with the facts read once (student, assignment,
time, secret), and a submitted file read into cells or rejected with a reason."""
