"""The applications built on the API: the tutorial's benchmark (:mod:`~fastopt.apps.compare`, its
settings in :mod:`~fastopt.apps.benchmark`, the other libraries in :mod:`~fastopt.apps.peers`, its
report in :mod:`~fastopt.apps.report`), the gallery of optimizer paths and the tutorial's scenes
(:mod:`~fastopt.apps.gallery`, :mod:`~fastopt.apps.scenes`), and the study
(:mod:`~fastopt.apps.study`, :mod:`~fastopt.apps.study_report`; its problems are :mod:`fastopt.problems`).
"""
