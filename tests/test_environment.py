"""environment.yml (conda, the pipeline rules' software) pins exactly what pyproject.toml pins."""

import tomllib

import yaml

from tests.conftest import ROOT


def test_conda_environment_pins_the_same_versions_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = set(project["dependencies"]) | set(project["optional-dependencies"]["test"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert set(pip) == pinned
