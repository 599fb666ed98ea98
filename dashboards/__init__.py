"""The Streamlit app: draws what the ``noac`` services return."""
