"""Where grading tasks run: the local process pool and a Dask cluster behind one interface, and the worker's side of a task."""
