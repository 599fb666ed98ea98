"""A bare Streamlit app, the floor of the ``dashboard`` workload of ``noac bench``: a text page
and a page with one plotly chart.

``noac/bench_browser.py`` serves it and measures the time from clicking "Chart" in the sidebar
until the chart is drawn.
"""

import plotly.graph_objects as go
import streamlit as st


def home() -> None:
    st.header("Home")
    st.write("A page without charts.")


def chart() -> None:
    st.header("Chart")
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    figure = go.Figure(go.Bar(x=months, y=[0.9 + 0.01 * (m % 5) for m in range(12)]))
    st.plotly_chart(figure, width="stretch")


st.set_page_config(page_title="bare", layout="wide")
st.navigation([st.Page(home, title="Home"), st.Page(chart, title="Chart")]).run()
