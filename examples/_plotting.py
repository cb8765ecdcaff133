"""Where and how the examples save their figures.

Figures go to examples/output/ (created when first needed), or to the folder
named by the environment variable FNTRANS_EXAMPLES_OUTPUT. matplotlib is
optional (the `examples` extra): without it the examples still run and say
once how to get the plots.
"""

from __future__ import annotations

import os
import pathlib

OUTPUT_VARIABLE = "FNTRANS_EXAMPLES_OUTPUT"
INSTALL_HINT = "plots skipped: matplotlib is not installed (pip install 'fntrans[examples]')"


def output_dir() -> pathlib.Path:
    """The folder figures are saved into."""
    return pathlib.Path(os.environ.get(OUTPUT_VARIABLE) or pathlib.Path(__file__).parent / "output")


def pyplot():
    """matplotlib.pyplot on the non-interactive Agg backend, or None if matplotlib is missing."""
    try:
        import matplotlib
    except ImportError:
        print(INSTALL_HINT)
        return None
    matplotlib.use("Agg")  # files only: no window, works without a display
    import matplotlib.pyplot as plt

    return plt


def save(fig, name: str, dpi: int = 90) -> pathlib.Path:
    """Saves fig as <output_dir>/<name>.png, closes it and prints the path."""
    import matplotlib.pyplot as plt

    directory = output_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    print(f"figure saved to {path}")
    return path
