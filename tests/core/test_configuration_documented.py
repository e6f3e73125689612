import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_environment_variable_read_by_settings_is_in_the_readme_table():
    source = "\n".join(p.read_text() for p in (ROOT / "config" / "settings").glob("*.py"))
    names = set(re.findall(r"""env(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]+)["']""", source))
    names |= set(re.findall(r"""os\.environ\.setdefault\(\s*["']([A-Z][A-Z0-9_]+)["']""", source))
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", readme, flags=re.M))
    assert names, "found no environment variables: the pattern is broken"
    assert names - documented == set(), f"undocumented: {sorted(names - documented)}"
