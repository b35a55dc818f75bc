"""The course catalogue, loaded once per test process.

pytest imports conftest.py again at each `pytest.main` in one process (mutation testing runs one per mutant, see
docs/pages/mutation.md), but not this module: so conftest's import never runs a mutated schema, and a mutant that
breaks loading scenes fails the tests that load them instead of the whole run's setup.
"""

from tp1viz.scenes import load_catalog

SCENES = load_catalog()
