"""Quality analytics for labeled data.

`labeling.quality.stats` is the pure statistics core: plain numpy/scipy/choix functions over
integer-coded arrays, with no Django import. The Django side (selectors that build the arrays,
tasks that store the results, pages that show them) lives next to it and calls into it.
"""
