"""python-for-android recipe (``p4a.local_recipes``): aiohttp as pure Python, at the version buildozer.spec pins.

It replaces p4a's own ``aiohttp`` recipe (2026.5.9: aiohttp 3.8.3 with its C parsers), whose 3.8.3 has no
``web.AppKey`` (the bridge's API needs it), whose Cython 0.29 C files predate the CPython 3.14 that this p4a
builds, and whose build step fails when the C extensions are switched off (it expects ``build/lib.*``).
Here the sdist is installed with ``AIOHTTP_NO_EXTENSIONS=1`` and ``--no-deps``: the pure-Python parsers run
on the phone, and every dependency comes pinned from the spec's ``requirements`` (p4a sets
``VERSION_aiohttp`` from ``aiohttp==X`` there, overriding ``version`` below). ``tests/android_build`` loads
this recipe through p4a's own ``Recipe.get_recipe`` and runs the bridge's API tests with the same version.
"""

from pythonforandroid.recipe import PythonRecipe


class PurePythonAiohttpRecipe(PythonRecipe):
    """aiohttp from its PyPI sdist, no C extensions, no dependency resolution."""

    version = "3.14.5"
    url = "https://files.pythonhosted.org/packages/source/a/aiohttp/aiohttp-{version}.tar.gz"
    name = "aiohttp"
    depends = ["setuptools"]
    call_hostpython_via_targetpython = False
    install_in_hostpython = False
    setup_extra_args = ["--no-deps"]

    def get_recipe_env(self, arch=None, with_flags_in_cc=True):
        """p4a's environment plus the switch that keeps aiohttp's C extensions out of the build."""
        env = super().get_recipe_env(arch, with_flags_in_cc)
        env["AIOHTTP_NO_EXTENSIONS"] = "1"
        return env


recipe = PurePythonAiohttpRecipe()
