"""Vega, Vega-Lite and Vega-Embed as one inline script, from PyPI's vl-convert-python.

vl-convert-python ships the three libraries (and their dependencies) and bundles
them on request; the page inlines the result, so it opens from file:// with no
network. The bundle defines window.vegaEmbed (its window.vega and window.vegaLite are
null: the page reaches Vega only through vegaEmbed and its options).
"""

from __future__ import annotations

import functools

import vl_convert


@functools.cache
def script() -> str:
    # None: the default snippet (the stub says str; the function documents None).
    bundle = str(vl_convert.javascript_bundle(None))  # type: ignore[arg-type]
    if "</script" in bundle.lower():  # would end the inline <script> early
        raise RuntimeError("the Vega bundle contains '</script': it cannot be inlined")
    return bundle


def versions() -> str:
    return (
        f"Vega {vl_convert.get_vega_version()}, Vega-Lite {vl_convert.get_vegalite_versions()[-1]}"
    )
