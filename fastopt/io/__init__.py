"""Input and output: files written whole or not at all (:mod:`~fastopt.io.output`), a CSV file's
columns (:mod:`~fastopt.io.tables`), and the optional dependencies with an error that names the extra
to install (:mod:`~fastopt.io.extras`). The diamonds data is :mod:`fastopt.datasets`.
"""
