"""The app's run-time files, installed as the package `app.resources` (setup.py maps this folder).

Every file here ships in the wheel and the PyInstaller bundle; app/common/assets.py names the
ones the code reads and finds them through importlib.resources.
"""
