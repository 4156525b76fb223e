"""Figures (``pip install "fastopt[plots]"``): a comparison's (:mod:`~fastopt.figures.comparison`), the
gallery's and the scenes' (:mod:`~fastopt.figures.gallery`), a study's (:mod:`~fastopt.figures.study`),
all drawn with the one matplotlib set-up of :mod:`~fastopt.figures.style`.
"""
