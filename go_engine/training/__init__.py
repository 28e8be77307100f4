"""Training from game records (the linear softmax policies so far)."""
