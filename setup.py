"""What pyproject.toml cannot say: the top-level resources/ folder installs as the package `app.resources`.

The run-time files (sample model, window icon) stay in resources/, the layout the product owner
asked for and the folder the installer and scripts read, instead of moving under app/. setuptools
maps the folder into the package, so a wheel carries them at app/resources/ and an editable install
finds them in place; app/common/assets.py reads them through importlib.resources either way.
(A `packages.find` table in pyproject.toml cannot add a package that lives outside app/.)
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["app", "app.*"]), "app.resources"],
    package_dir={"app.resources": "resources"},
    package_data={"app.resources": ["*"]},  # every file in resources/ is a run-time file
)
