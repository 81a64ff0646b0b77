#!/usr/bin/python3
"""The Extensions grid at 10,000 extensions, measured in headless Chromium:
first paint after sign-in, each page (Next), a sort and a search, as the
browser sees them (request + JSON + drawing). The issue's target is 300 ms;
a benchmark, not a test gate.

  PROVISIONER_BIN=build/bin/provisioner TEMPLATES_DIR=vendor-templates SOURCE_DIR=. bench/portal_grid.py
"""

import os
import statistics
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "browser"))
from portal_test import css, new_driver, sign_in  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from server import Server  # noqa: E402

N = int(os.environ.get("GRID_EXTENSIONS", "10000"))


def main():
    source = os.environ.get("SOURCE_DIR", ".")
    work = tempfile.mkdtemp(prefix="prov-grid-")
    srv = Server(work, os.environ["PROVISIONER_BIN"], os.environ["TEMPLATES_DIR"], os.path.join(source, "portal"),
                 [f"license.extensions={N + 10}"])
    try:
        rows = "".join(f"{10000 + i},Person {i},user{i}\n" for i in range(N))
        req = urllib.request.Request(f"{srv.base}/api/v1/imports", data=("extension,callerid_name,user\n" + rows).encode(),
                                     method="POST", headers={"Authorization": f"Bearer {srv.token}", "Content-Type": "text/csv"})
        t = time.monotonic()
        urllib.request.urlopen(req, timeout=600).read()
        print(f"imported {N} extensions in {time.monotonic() - t:.1f} s")
        d = new_driver(1366, 900)
        try:
            t = time.monotonic()
            sign_in(d, srv.base, srv.token)
            css(d, "#extensions-grid tbody tr[data-extension]")
            print(f"sign-in to first paint (role probe included): {1000 * (time.monotonic() - t):.0f} ms")
            total = d.find_element(By.CSS_SELECTOR, ".pager span").text
            # Again from a fresh page load (the token is kept for the tab):
            # the time from navigation to the drawn grid, as the page saw it.
            paints = []
            for _ in range(5):
                d.refresh()
                css(d, "#extensions-grid[data-paint-at]")
                paints.append(int(d.find_element(By.ID, "extensions-grid").get_attribute("data-paint-at")))
            print(f"grid of {total}: navigation to first paint median {statistics.median(paints)} ms "
                  f"(max {max(paints)} ms, 5 loads)")
            grid = d.find_element(By.ID, "extensions-grid")

            def measure(action):
                before = d.execute_script("return document.querySelector('#extensions-grid tbody tr').dataset.extension")
                t0 = time.monotonic()
                action()
                for _ in range(2000):
                    first = d.execute_script("const r = document.querySelector('#extensions-grid tbody tr');"
                                             "return r ? r.dataset.extension || r.textContent : ''")
                    if first != before:
                        break
                    time.sleep(0.005)
                wall = 1000 * (time.monotonic() - t0)
                return wall, int(grid.get_attribute("data-load-ms") or 0)

            pages = [measure(lambda: d.find_element(By.XPATH, "//button[normalize-space()='Next']").click())
                     for _ in range(10)]
            print(f"Next page x10: browser load+draw median {statistics.median(p[1] for p in pages)} ms, "
                  f"max {max(p[1] for p in pages)} ms (driver wall median {statistics.median(p[0] for p in pages):.0f} ms)")
            s = measure(lambda: d.find_element(By.XPATH, "//th//button[contains(., 'CallerID Name')]").click())
            print(f"sort by CallerID Name: {s[1]} ms (wall {s[0]:.0f} ms)")
            box = d.find_element(By.ID, "ext-search")
            q = measure(lambda: box.send_keys("Person 777"))
            print(f"search 'Person 777' (250 ms typing pause included in wall): {q[1]} ms (wall {q[0]:.0f} ms)")
        finally:
            d.quit()
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
