"""Streamlit glue shared by app.py and the pages: sign-in, layout helpers. No business rules."""
