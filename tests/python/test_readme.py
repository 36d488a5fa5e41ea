"""The README's `import sparq` example (section "Python"), run as written from
the checkout's root: every line whose comment starts with a value
(`expr  # value ...`) must evaluate to that value (numbers to the digits
shown), so the README cannot drift from what the module returns."""
import ast
import re

from conftest import SOURCE_DIR


def readme_python_block():
    text = (SOURCE_DIR / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Python\n", 1)
    assert len(section) == 2, "README.md: no '## Python' section"
    m = re.search(r"```python\n(.*?)```", section[1], re.S)
    assert m, "README.md: the Python section has no python code block"
    return m.group(1)


def leading_literal(comment):
    """The longest prefix of the comment that is a Python literal, or None."""
    for end in range(len(comment), 0, -1):
        try:
            return ast.literal_eval(comment[:end].strip())
        except (ValueError, SyntaxError):
            continue
    return None


def matches(actual, expected):
    if isinstance(expected, tuple):
        return (isinstance(actual, tuple) and len(actual) == len(expected)
                and all(matches(a, e) for a, e in zip(actual, expected)))
    if isinstance(expected, float):
        digits = len(repr(expected).split(".")[1])
        return round(float(actual), digits) == expected
    return actual == expected


def test_readme_python_example_runs_and_prints_what_it_says(monkeypatch):
    monkeypatch.chdir(SOURCE_DIR)  # the example's paths are relative to the checkout
    env = {}
    checked = 0
    for line in readme_python_block().splitlines():
        code, _, comment = line.partition("  #")
        code = code.strip()
        if not code:
            continue
        expected = leading_literal(comment) if comment else None
        if expected is None:
            exec(compile(code, "README.md", "exec"), env)
            continue
        actual = eval(compile(code, "README.md", "eval"), env)
        assert matches(actual, expected), f"README.md: `{code}` gives {actual!r}, the README says {expected!r}"
        checked += 1
    assert checked >= 2, "README.md: the Python example lost its checked values"
