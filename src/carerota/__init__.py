"""carerota: audit UK home-care rotas for travel-inclusive pay and the care charters' promises."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("carerota")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
