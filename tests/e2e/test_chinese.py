"""The app in Simplified Chinese in a real browser: every page, a training, a mistake's Why?, a photo.

Each state is checked for English words left on screen (names excepted), audited by axe-core with
<html lang="zh-CN"> set, and screenshotted at 1400 px for a person to look at.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import numpy as np
import pytest
from app_driver import assert_no_error, number_input, open_page, photo_like, set_number, wait_until_idle
from playwright.sync_api import expect
from test_journeys import stop_training_at_end  # noqa: F401 - a fixture used below

from fashion import i18n
from fashion.data.fashion_mnist import CLASS_NAMES

TRAINED_MODEL = "e2e-zh-tutorial"
MODEL = "small-tutorial"  # the store's model (tests/conftest.py)
TRAINING_TIMEOUT_MS = 240_000
# Words a Chinese page may show in Latin letters: names of things, formats, units and abbreviations
ALLOWED_WORDS = {
    "Fashion-MNIST", "Fashion", "MNIST", "Studio", "TensorFlow", "Keras", "NumPy", "Python", "CNN", "PCA",
    "CSV", "JSON", "KiB", "GPU", "CPU", "Ray", "TFLite", "SavedModel", "float16", "keras", "py", "Grad-CAM",
    "CC0", "BENCHMARKS.md", "English", "x", "d", "s", "T", "A", "B", "ReLU", "Adam", "softmax", "Dense",
    "Flatten", "Conv2D", "MaxPooling2D", "Dropout", "Input", "Rescaling", "SparseCategoricalCrossentropy",
    "fps",
    # Keras' own layer names, as the model summary shows them
    "dense", "flatten", "conv2d", "dropout", "rescaling", "relu",
}  # fmt: skip
# Text that is code or an icon's ligature, not words to read
NOT_PROSE_SELECTOR = ", ".join(
    [
        '[data-testid="stCode"]',
        "pre",
        "code",
        "[data-not-prose]",
        '[data-testid="stIconMaterial"]',
        '[data-testid="stFileUploaderFileName"]',
    ]
)
# A word: letters, digits, "_", "-" and "." inside; paths, sizes (28x28) and code identifiers are names
LATIN_WORD = re.compile(r"[A-Za-z0-9_]*[A-Za-z][A-Za-z0-9_]*(?:[-.][A-Za-z0-9_]+)*")
PATH = re.compile(r"(?<![\w.])/[^\s()，。；：]+")
# 28x28, train_images, uint8, float32, 8.8KB
NOT_A_WORD = re.compile(r"^(\d+x\d+|\w*_\w*|[a-z]+\d+|\d+[KMG]B)$")


def visible_prose(page) -> str:
    """The text a reader sees in the app, without code blocks and icon names."""
    return page.evaluate(
        """selector => {
            // Material icons are words in an icon font ("settings", "code"): not prose
            for (const element of document.querySelectorAll('[data-testid="stApp"] *')) {
                if (getComputedStyle(element).fontFamily.includes("Material")) {
                    element.setAttribute("data-not-prose", "");
                }
            }
            const app = document.querySelector('[data-testid="stApp"]').cloneNode(true);
            app.querySelectorAll(selector).forEach(element => element.remove());
            document.body.appendChild(app);
            const text = app.innerText;
            app.remove();
            return text;
        }""",
        NOT_PROSE_SELECTOR,
    )


def english_words(text: str, names: set[str]) -> list[str]:
    """The Latin-letter words of a text that are neither allowed names nor model or file names."""
    words = []
    for word in LATIN_WORD.findall(PATH.sub(" ", text)):
        if word in ALLOWED_WORDS or NOT_A_WORD.match(word) or any(word in name for name in names):
            continue
        words.append(word)
    return words


def stored_models(server) -> set[str]:
    """The names of the models in the server's store now (other tests on the same server add theirs)."""
    return {folder.name for folder in server.models_dir.iterdir()}


def assert_chinese(page, state: str, names: set[str]) -> None:
    """No English word left on screen (names excepted), and <html lang> says zh-CN."""
    wait_until_idle(page)
    assert page.evaluate("document.documentElement.lang") == i18n.CHINESE, state
    left = english_words(visible_prose(page), names)
    assert not left, f"English words on the {state} page: {sorted(set(left))}"


def open_chinese(page, base_url: str, path: str, heading: str, last: str | None = None) -> None:
    """Open a page with ?lang=zh-CN; wait for its Chinese heading and for the text it shows last."""
    separator = "&" if "?" in path else "?"
    open_page(page, base_url, f"{path}{separator}lang=zh-CN", heading=heading)
    if last:
        # The running indicator can appear after the first check: the page's last text says it is drawn
        expect(page.get_by_text(last, exact=True).first).to_be_visible(timeout=120_000)
        wait_until_idle(page)


@pytest.mark.usefixtures("stop_training_at_end")
def test_the_app_in_chinese(app_server, page, audits, small_dataset, tmp_path):
    """Every page in zh-CN, a model trained from the Train page, a mistake's Why? and a photo."""
    names = {MODEL, TRAINED_MODEL, "photo-zh.png", "lang", "zh-CN"}
    with i18n_language(i18n.CHINESE):
        pages = {
            "": (i18n._("Explore the data"), i18n._("Mean image of each class")),
            "lesson": (i18n._("Lesson: classify images of clothing"), "第 9 步：使用训练好的模型"),
            "models": (i18n._("Saved models"), i18n._("Rename or delete")),
            "map": (i18n._("Map"), "点击地图上的一个点，打开它的图像、显著图和最近的训练图像。"),
        }

    # Explore, the Lesson, Saved models and the Map, as they open
    for path, (heading, last) in pages.items():
        open_chinese(page, app_server.url, path, heading, last)
        assert_chinese(page, path or "explore", names | stored_models(app_server))
        audits.check(f"zh-{path or 'explore'}")

    # A model trained from the Train page, with small settings
    open_chinese(page, app_server.url, "train", "训练", "开始训练")
    assert_chinese(page, "train", names | stored_models(app_server))
    audits.check("zh-train")
    page.get_by_text("在子集上训练").click()
    expect(number_input(page, "训练图像数")).to_be_enabled()
    set_number(page, "训练图像数", 600)
    set_number(page, "周期数", 2)
    set_number(page, "批次大小", 32)
    name_field = page.get_by_label("模型名称（可选）", exact=True)
    name_field.fill(TRAINED_MODEL)
    name_field.press("Enter")
    wait_until_idle(page)
    page.locator(".st-key-train_start button").click()
    expect(page).to_have_url(re.compile(r"[?&]job=\w+"))
    expect(page.get_by_text(re.compile(r"^训练在 \d+ 秒内完成。$"))).to_be_visible(
        timeout=TRAINING_TIMEOUT_MS
    )
    expect(page.get_by_text(f"已保存为 {TRAINED_MODEL}")).to_be_visible()
    assert_chinese(page, "train-finished", names | stored_models(app_server))
    audits.check("zh-train-finished")

    # Predictions: the first mistake and its Why?
    open_chinese(page, app_server.url, f"predictions?model={MODEL}", "预测", "错误，一次一个")
    assert_chinese(page, "predictions", names | stored_models(app_server))
    page.locator(".st-key-predictions_why").get_by_text("为什么？").click()
    neighbours = page.get_by_text(re.compile(r"^最近的训练图像（按模型倒数第二层的特征）："))
    expect(neighbours).to_be_visible()
    listed = neighbours.inner_text().split("：", 1)[1].split("、")
    with i18n_language(i18n.CHINESE):
        chinese_classes = {i18n._(name) for name in CLASS_NAMES}
    assert len(listed) == 8 and set(listed) <= chinese_classes, listed
    assert_chinese(page, "predictions-why", names | stored_models(app_server))
    audits.check("zh-predictions-why")

    # Compare (two models now)
    open_chinese(page, app_server.url, f"compare?models={MODEL},{TRAINED_MODEL}", "比较模型", "它们的分歧")
    assert_chinese(page, "compare", names | stored_models(app_server))
    audits.check("zh-compare")

    # Try your own image: a photo of a trouser
    trouser = small_dataset.test_images[np.flatnonzero(small_dataset.test_labels == 1)[0]]
    photo_path = tmp_path / "photo-zh.png"
    photo_path.write_bytes(photo_like(trouser))
    open_chinese(page, app_server.url, f"try_image?model={MODEL}", "试试你自己的图片")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(photo_path))
    expect(page.get_by_text("放大的 28x28 模型输入")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^1\. \S+: \d+\.\d%$"))).to_be_visible()
    assert_chinese(page, "try-photo", names | stored_models(app_server))
    audits.check("zh-try-photo")
    audits.assert_clean()


def test_the_switch_and_the_link_choose_the_language_across_pages(app_server, page, screenshot):
    """?lang= opens a language; the sidebar switch changes it; both survive a page change by the sidebar."""
    open_page(page, app_server.url, "?lang=zh-CN", heading="探索数据")
    # The script that sets <html lang> runs once Streamlit has drawn its element: wait for it
    page.wait_for_function("document.documentElement.lang === 'zh-CN'")
    page.locator('[data-testid="stSidebarNav"]').get_by_text("训练", exact=True).click()
    expect(page.get_by_role("heading", name="训练", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/train\?(.*&)?lang=zh-CN(&|$)"))

    # The switch, to English: the page, the link and <html lang> follow, and a page change keeps it
    page.locator(".st-key-language_switch").get_by_text("English", exact=True).click()
    expect(page.get_by_role("heading", name="Train", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]lang=en(&|$)"))
    page.wait_for_function("document.documentElement.lang === 'en'")
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Lesson", exact=True).click()
    expect(
        page.get_by_role("heading", name="Lesson: classify images of clothing", exact=True)
    ).to_be_visible()
    expect(page).to_have_url(re.compile(r"/lesson\?(.*&)?lang=en(&|$)"))
    screenshot(page, "switched-to-english")

    # And back to Chinese
    page.locator(".st-key-language_switch").get_by_text("简体中文", exact=True).click()
    expect(page.get_by_role("heading", name="教程：对服装图像进行分类", exact=True)).to_be_visible()
    page.wait_for_function("document.documentElement.lang === 'zh-CN'")
    page.locator('[data-testid="stSidebarNav"]').get_by_text("探索数据", exact=True).click()
    expect(page.get_by_role("heading", name="探索数据", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]lang=zh-CN(&|$)"))
    assert_no_error(page)
    screenshot(page, "switched-back-to-chinese")


def test_an_english_browser_opens_in_english_and_a_chinese_one_in_chinese(app_server, browser):
    """With no ?lang=, the browser's language decides (Chromium's default here is English)."""
    from e2e_server import new_tab

    english = new_tab(browser)
    open_page(english, app_server.url, "", heading="Explore the data")
    assert english.evaluate("document.documentElement.lang") == "en"
    assert "lang=" not in english.url
    english.context.close()
    chinese = new_tab(browser, locale="zh-CN")
    open_page(chinese, app_server.url, "", heading="探索数据")
    chinese.wait_for_function("document.documentElement.lang === 'zh-CN'")
    expect(chinese).to_have_url(re.compile(r"[?&]lang=zh-CN(&|$)"))
    chinese.context.close()


@contextmanager
def i18n_language(language: str):
    """Translate in the test's own thread for a while (the server translates in its own)."""
    i18n.use_language(language)
    try:
        yield
    finally:
        i18n.use_language(i18n.DEFAULT_LANGUAGE)
