"""governance-study: a traceable dataset of Tianjin's grassroots-governance figures and its metrics.

Importing the package is cheap: heavy libraries (statsmodels, seaborn, matplotlib, papermill) are imported
only by the modules that need them, when they are used.
"""

__version__ = "0.1.0"
