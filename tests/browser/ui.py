"""What the browser tests share: the run's tally (checks, screenshots with
their axe-core check, timings), the headless Chromium driver, bounded waits,
the row editor's controls and keyboard navigation."""

import os
import sys

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

import axe


class Run:
    def __init__(self, out):
        self.out = out
        self.failures = []
        self.passed = 0
        self.shots = 0
        self.axe = axe.axe_source()
        self.timings = {}

    def check(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failures.append(what)
            print(f"FAIL: {what}", file=sys.stderr)

    def screen(self, driver, name):
        """A screenshot, and the axe-core check of what is on the screen."""
        self.shots += 1
        driver.save_screenshot(os.path.join(self.out, f"{self.shots:02d}-{name}.png"))
        for line in axe.check(driver, self.axe, name):
            self.check(False, line)


def new_driver(width, height, host_rules=None):
    """Headless Chromium at width x height. `host_rules` (Chromium's
    --host-resolver-rules, such as "MAP phones.example.com 127.0.0.1:8443")
    lets a link with a real-looking host reach the server on 127.0.0.1; the
    server's own self-signed HTTPS certificate is then accepted through the
    W3C acceptInsecureCerts capability (scoped to this session, unlike
    --ignore-certificate-errors)."""
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              f"--window-size={width},{height}", "--force-device-scale-factor=1", "--lang=en-US"):
        o.add_argument(a)
    if host_rules:
        o.add_argument(f"--host-resolver-rules={host_rules}")
        o.accept_insecure_certs = True
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    d.set_script_timeout(60)
    # A headless window is never narrower than 500 px: a phone's viewport
    # is emulated instead.
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    # A user who asked for reduced motion: the toast appears and goes at
    # once, so no check (axe-core's contrast above all) meets it half faded.
    d.execute_cdp_cmd("Emulation.setEmulatedMedia",
                      {"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]})
    return d


def wait(d, cond, timeout=10, ignored=None):
    return WebDriverWait(d, timeout, ignored_exceptions=ignored).until(cond)


def css(d, selector, timeout=10):
    return wait(d, EC.visibility_of_element_located((By.CSS_SELECTOR, selector)), timeout)


def text_in(d, selector, text, timeout=10):
    try:
        wait(d, EC.text_to_be_present_in_element((By.CSS_SELECTOR, selector), text), timeout)
        return True
    except TimeoutException:
        return False


def editor_input(d, name):
    return wait(d, EC.presence_of_element_located(
        (By.CSS_SELECTOR, f"tr.editor [name={name}], tr.editor-more [name={name}]")))


def field_error(d, control):
    return d.find_element(By.ID, control.get_attribute("id") + "-err").text


def press(d, key):
    """A key pressed on whatever has the focus (as a keyboard user does)."""
    ActionChains(d).send_keys(key).perform()


# What a keyboard user hears for the focused control: its aria-label, its
# text, or the text of its <label>.
_FOCUSED = """
const e = document.activeElement;
if (!e || e === document.body) return '';
const label = e.id ? document.querySelector(`label[for="${CSS.escape(e.id)}"]`) : null;
return e.getAttribute('aria-label') || (label && label.textContent.trim()) || e.textContent.trim();
"""


def tab_to(d, name, limit=80):
    """Presses Tab until the focused control is called `name`; at most
    `limit` presses. Returns the presses it took, or raises AssertionError."""
    seen = []
    for n in range(1, limit + 1):
        press(d, Keys.TAB)
        now = d.execute_script(_FOCUSED)
        if now == name:
            return n
        seen.append(now)
    raise AssertionError(f"Tab never reached {name!r} in {limit} presses; focus went through {seen}")
