"""carerota: audit UK home-care rotas for travel-inclusive pay and the care charters' promises."""

# The one place the version is written: pyproject.toml reads it from here (importlib.metadata would
# add 40 ms to every command's start).
__version__ = "0.1.0"
