"""tools/demo/web_demo.py in a real headless browser (Debian's chromium and
chromedriver, driven by selenium): the page loads, a photo goes in, the
overlay comes back."""
import os
import shutil
import socket
import time
import urllib.request
from pathlib import Path

import pytest

CONFIG = 'configs/3ddfa_v2/3ddfa-v2_mbv1-0.5_120x120.py'
CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
CHROMEDRIVER = shutil.which('chromedriver')
# the flags that keep chromium off the network and out of the GPU
CHROME_FLAGS = ('--headless', '--no-sandbox', '--disable-gpu',
                '--disable-background-networking',
                '--disable-component-update', '--disable-sync',
                '--no-first-run', '--disable-dev-shm-usage',
                '--window-size=1280,1400')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def wait_for_page(url: str, server, timeout: float = 240) -> None:
    """Poll until the server answers (failing if it exits first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail('web_demo.py exited early:\n' +
                        server.communicate()[0][-3000:])
        try:
            with urllib.request.urlopen(url, timeout=5) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(1)
    pytest.fail(f'{url} did not answer in {timeout} s')


@pytest.mark.e2e
@pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None,
                    reason='needs Debian chromium and chromium-driver '
                    '(.ci/run installs them)')
def test_photo_in_overlay_out(start_tool, converted_3ddfa_v2, readme_env,
                              data_root, tmp_path):
    webdriver = pytest.importorskip('selenium.webdriver')
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    port = free_port()
    server = start_tool('demo/web_demo.py', '--config', CONFIG,
                        '--checkpoint', converted_3ddfa_v2, '--port', port,
                        '--work-dir', tmp_path / 'served', env=readme_env)
    url = f'http://127.0.0.1:{port}/'
    wait_for_page(url, server)

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f'--user-data-dir={tmp_path / "profile"}')
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    browser = webdriver.Chrome(options=options, service=service)
    try:
        browser.get(url)
        wait = WebDriverWait(browser, 120)
        wait.until(ec.presence_of_element_located((By.ID, 'run')))
        assert 'mmface3d' in browser.title
        photo = (data_root / 'aflw2000_3d/AFLW2000/image00002.jpg').resolve()
        upload = browser.find_element(By.CSS_SELECTOR,
                                      '#photo input[type=file]')
        upload.send_keys(str(photo))
        wait.until(ec.presence_of_element_located(
            (By.CSS_SELECTOR, '#photo img')))
        browser.find_element(By.CSS_SELECTOR, '#run').click()
        overlay = wait.until(ec.presence_of_element_located(
            (By.CSS_SELECTOR, '#overlay img')))
        wait.until(lambda _: 'face(s)' in browser.find_element(
            By.ID, 'status').text)
        status = browser.find_element(By.ID, 'status').text
        assert status.startswith('1 face(s)'), status
        # the overlay is the photo's size, drawn by the server
        assert overlay.get_attribute('naturalWidth') == '450'
        links = browser.find_elements(By.CSS_SELECTOR, '#files a')
        names = {Path(a.get_attribute('href')).name for a in links}
        assert {'photo_face0.obj', 'photo.json'} <= names, names
        shot = tmp_path / 'web_demo.png'
        browser.save_screenshot(str(shot))
        assert shot.stat().st_size > 0
        docs = os.environ.get('MMFACE3D_WEB_DEMO_SCREENSHOT')
        if docs:
            shutil.copy(shot, docs)
    finally:
        browser.quit()
