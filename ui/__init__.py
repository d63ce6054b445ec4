"""The Streamlit user interface: ``ui/app.py`` is the page; ``flow`` answers the questions
in order off the script thread; ``turns``, ``reader``, ``sidebar`` and ``widgets`` draw the
page; ``sources``, ``narrowing``, ``markup``, ``files`` and ``export`` are Streamlit-free."""
