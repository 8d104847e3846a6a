"""What exactly is executed: the material a task carries and the notebook made from a submitted file."""
