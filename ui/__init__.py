"""The Streamlit user interface: ``ui/app.py`` (the page) and ``ui/helpers.py`` (pure helpers)."""
