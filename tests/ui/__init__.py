"""UI tests: AppTest flows, pure helpers, and a real-browser check."""
