"""How a notebook runs safely: the sandbox, the limits, the kernel and the one trust boundary (traffic.py)."""
