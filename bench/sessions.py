"""Browsing sessions per app replica (docs/scaling.md): page loads with 1 to 40 sessions at once.

    python3 bench/sessions.py                  # steps 1-5, 10, 20, 40; about 10 minutes on 2 shared cores
    python3 bench/sessions.py --steps 5 10     # other steps

One app server (`streamlit run`, as scripts/start.sh) over the real Fashion-MNIST and a store with
one tutorial model, and Debian's Chromium through Playwright on the same machine (so the browsers'
CPU is counted against the server's cores). No job trains: with Ray the training runs on the nodes.
After one warm-up session (data set, TensorFlow and the model's test-set predictions loaded), each
step opens N new browser contexts at once; each session loads Explore, then Predictions, then Train,
as fast as they draw. A page load is the seconds from navigation until the page's heading shows and
Streamlit is idle. Each step prints the median and maximum page load, the errors pages showed (an
exception box or st.error, with its text), the server's memory and the machine's load average; the
whole result is printed as JSON at the end and written to bench/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPOSITORY), str(REPOSITORY / "tests" / "e2e")]

from harness import CHROMIUM_ARGUMENTS, CHROMIUM_PATH, AppServer, memory_kib  # noqa: E402
from playwright.async_api import async_playwright, expect  # noqa: E402

from fashion.training.models import RECOMMENDED_PRESET, presets, with_overrides  # noqa: E402

STEPS = (1, 2, 3, 4, 5, 10, 20, 40)
# Each session's pages, in order: (path, heading)
PAGES = (("", "Explore the data"), ("predictions", "Predictions"), ("train", "Train"))
PAGE_TIMEOUT_MS = 300_000
RESULTS_DIRECTORY = REPOSITORY / "bench" / "results"
MODEL_SETTINGS = with_overrides(presets("tutorial")[RECOMMENDED_PRESET], epochs=3, train_limit=10000)


async def load_page(page, url: str, heading: str, errors: list[str]) -> float:
    """Open url and wait until its heading shows and Streamlit is idle; the seconds it took (errors noted)."""
    started = time.monotonic()
    await page.goto(url, timeout=PAGE_TIMEOUT_MS)
    await page.get_by_role("heading", name=heading, exact=True).first.wait_for(timeout=PAGE_TIMEOUT_MS)
    await page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=PAGE_TIMEOUT_MS)
    await expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=PAGE_TIMEOUT_MS)
    seconds = time.monotonic() - started
    shown = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]')
    for text in await shown.all_inner_texts():
        errors.append(f"{url.rsplit('/', 1)[-1] or 'explore'}: {text[:300]}")
    return seconds


async def browse(browser, base_url: str, errors: list[str]) -> list[float]:
    """One new session loading every page of PAGES in turn; its page loads in seconds."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = await context.new_page()
        return [await load_page(page, f"{base_url}/{path}", heading, errors) for path, heading in PAGES]
    finally:
        await context.close()


async def measure(server: AppServer, steps: list[int]) -> list[dict]:
    """A warm-up session, then each step's sessions at once; a figure per step."""
    results = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGUMENTS
        )
        warm_up = await browse(browser, server.url, [])
        print(f"warm-up session: {', '.join(f'{seconds:.1f}' for seconds in warm_up)} s", flush=True)
        for sessions in steps:
            load_before = os.getloadavg()[0]
            started = time.monotonic()
            errors: list[str] = []
            loads = await asyncio.gather(*(browse(browser, server.url, errors) for _ in range(sessions)))
            every_load = [seconds for session in loads for seconds in session]
            figure = {
                "sessions": sessions,
                "page_loads": len(every_load),
                "median_seconds": round(statistics.median(every_load), 2),
                "max_seconds": round(max(every_load), 2),
                "median_by_page": {
                    (path or "explore"): round(statistics.median(session[index] for session in loads), 2)
                    for index, (path, _) in enumerate(PAGES)
                },
                "step_seconds": round(time.monotonic() - started, 1),
                "pages_with_errors": len(errors),
                "errors": sorted(set(errors)),
                "server_rss_mib": round(memory_kib(server.process.pid)["VmRSS"] / 1024),
                "load_average_before_after": [round(load_before, 1), round(os.getloadavg()[0], 1)],
            }
            print(json.dumps(figure), flush=True)
            results.append(figure)
            await asyncio.sleep(5)  # the closed sessions' websockets end
        await browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=list(STEPS))
    steps = parser.parse_args().steps
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        os.environ["FASHION_MODELS_DIR"] = str(work / "models")
        from fashion.data.fashion_mnist import load_dataset
        from fashion.training.workflow import train_evaluate_save

        # One saved model, so that Predictions has something to show
        train_evaluate_save("tutorial", MODEL_SETTINGS, load_dataset(allow_download=False), name="tutorial")
        with AppServer(work / "models", None, work / "streamlit.log") as server:
            results = asyncio.run(measure(server, steps))
    RESULTS_DIRECTORY.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    output = {"date": date, "cpus": os.cpu_count(), "steps": results}
    (RESULTS_DIRECTORY / f"sessions-{stamp}.json").write_text(json.dumps(output, indent=1))
    print(json.dumps(output, indent=1))


if __name__ == "__main__":
    main()
