"""The presets and limits of ``carerota synth`` that its help names: apart from the generator
(``carerota.synth``), which needs numpy and pandas, so that ``carerota --help`` starts at once."""

# name → (latitude, longitude, radius in km) of the area served
TOWNS: dict[str, tuple[float, float, float]] = {
    "huddersfield": (53.645, -1.785, 5.0),
    "leeds": (53.7997, -1.5492, 9.0),
    "manchester": (53.4808, -2.2426, 8.0),
    "bristol": (51.4545, -2.5879, 7.0),
    "norwich": (52.6309, 1.2974, 5.0),
    "truro": (50.2632, -5.0510, 20.0),  # rural Cornwall: few clients, long drives
    "lambeth": (51.4607, -0.1163, 3.0),  # dense inner London
    "cardiff": (51.4816, -3.1791, 6.0),
}
MAX_CLIENTS_PER_WORKER = 4  # beyond this even every worker owning a line cannot fit the calls in a day
