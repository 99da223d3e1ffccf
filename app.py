"""The flowatlas app: ``streamlit run app.py``. Pages live in ``pages/``, queries in ``graph/``."""

import streamlit as st

st.set_page_config(page_title="flowatlas", layout="wide")

pages = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/api.py", title="APIs", icon=":material/api:"),
]

st.navigation(pages).run()
