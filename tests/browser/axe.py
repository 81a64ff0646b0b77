"""axe-core (npm) injected through the driver: installed once into a cache
folder outside the repo with `npm install --prefix`, read from there."""

import os
import shutil
import subprocess

AXE_VERSION = "4.10"


def axe_source():
    cache = os.environ.get("PROV_AXE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "provisioner-browser", "axe")
    path = os.path.join(cache, "node_modules", "axe-core", "axe.min.js")
    if not os.path.exists(path):
        if not shutil.which("npm"):
            raise RuntimeError("npm is not installed: run deploy/install-deps.sh --test")
        os.makedirs(cache, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", cache, f"axe-core@{AXE_VERSION}", "--no-audit", "--no-fund",
                        "--loglevel=error"], check=True, timeout=300, cwd=cache)
    with open(path, encoding="utf-8") as f:
        return f.read()


def check(driver, source, where):
    """The serious and critical violations on the page, as readable lines."""
    driver.execute_script(source)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations), e => done(String(e)));")
    if isinstance(result, str):
        return [f"{where}: axe failed: {result}"]
    bad = []
    for v in result:
        if v.get("impact") in ("serious", "critical"):
            targets = ", ".join(" ".join(n["target"]) for n in v["nodes"][:3])
            bad.append(f"{where}: {v['id']} ({v['impact']}): {v['help']} at {targets}")
    return bad
