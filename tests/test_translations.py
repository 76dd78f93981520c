"""The translations: catalogues up to date with the code, every message translated, the language per run."""

from __future__ import annotations

import io
import re
import sys
import threading
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from fashion import i18n

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import translations  # noqa: E402 - scripts/translations.py, the catalogues' own tool


def messages_of(pot_text: str) -> str:
    """A catalogue's entries without its header (whose creation date and year change every run)."""
    return pot_text.split("\n\n", 1)[1]


def test_the_committed_template_has_every_message_of_the_code(tmp_path):
    fresh = tmp_path / "messages.pot"
    translations.extract(fresh)
    committed = translations.TEMPLATE.read_text(encoding="utf-8")
    assert messages_of(fresh.read_text(encoding="utf-8")) == messages_of(committed), (
        "fashion/locale/messages.pot is out of date with the code: run python3 scripts/translations.py "
        "and translate the new messages"
    )


@pytest.mark.parametrize("locale", translations.TRANSLATED_LOCALES)
def test_every_message_has_a_translation(locale):
    with translations.TEMPLATE.open("rb") as source:
        template_ids = {message.id for message in read_po(source) if message.id}
    with translations.po_path(locale).open("rb") as source:
        catalog = read_po(source, locale=locale)
    translated = {message.id for message in catalog if message.id and not message.fuzzy and all(
        message.string if isinstance(message.string, tuple) else [message.string]
    )}
    missing = sorted(str(message_id) for message_id in template_ids - translated)
    assert not missing, f"{len(missing)} messages lack a {locale} translation, such as: {missing[:5]}"
    extra = {message.id for message in catalog if message.id} - template_ids
    assert not extra, f"{locale}'s .po has messages the code no longer has: run scripts/translations.py"


@pytest.mark.parametrize("locale", translations.TRANSLATED_LOCALES)
def test_the_compiled_catalogue_is_the_po_compiled(locale):
    mo = translations.po_path(locale).with_suffix(".mo")
    assert mo.read_bytes() == translations.compiled(locale), f"{mo} is stale: run scripts/translations.py"


@pytest.mark.parametrize("locale", translations.TRANSLATED_LOCALES)
def test_translations_keep_the_placeholders(locale):
    with translations.po_path(locale).open("rb") as source:
        catalog = read_po(source, locale=locale)
    placeholder = re.compile(r"\{[^{}]*\}|%[-#0 +]*\d*(?:\.\d+)?[sd%]")
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = sorted(placeholder.findall(ids[-1]))
        for string in strings:
            assert sorted(placeholder.findall(string)) == wanted, f"{message.id!r} -> {string!r}"


def test_each_thread_has_its_own_language():
    seen = {}

    def run(language: str) -> None:
        i18n.use_language(language)
        seen[language] = i18n._("Train")

    threads = [threading.Thread(target=run, args=(language,)) for language in i18n.LANGUAGES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"en": "Train", "zh-CN": "训练"}
    assert i18n.current_language() == "en"


def test_an_empty_message_stays_empty_in_every_language():
    for language in i18n.LANGUAGES:
        i18n.use_language(language)
        assert i18n._("") == ""
    i18n.use_language("en")


def test_numbers_follow_the_language():
    i18n.use_language("zh-CN")
    try:
        assert i18n.format_percent(0.87654) == "87.65%"
        assert i18n.format_number(60000) == "60,000"
    finally:
        i18n.use_language("en")
    assert i18n.format_percent(0.5, decimals=0) == "50%"
    assert i18n.format_number(0.123, decimals=2) == "0.12"


@pytest.mark.parametrize(
    "tag, language",
    [("zh-CN", "zh-CN"), ("zh_CN.UTF-8", "zh-CN"), ("zh-Hans", "zh-CN"), ("en-US", "en"), ("fr-FR", None),
     (None, None), ("", None)],
)
def test_locale_tags_map_to_the_app_languages(tag, language):
    assert i18n.language_of(tag) == language


def test_the_cli_language_comes_from_the_environment():
    assert i18n.language_from_environment({"LANG": "zh_CN.UTF-8"}) == "zh-CN"
    assert i18n.language_from_environment({"LANG": "C.UTF-8"}) == "en"
    assert i18n.language_from_environment({}) == "en"
    assert i18n.language_from_environment({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"


def test_figures_draw_chinese_with_the_debian_font(recwarn):
    from matplotlib.figure import Figure

    assert i18n.use_figure_fonts() is None, "install fonts-wqy-microhei (scripts/install.sh)"
    figure = Figure(figsize=(4, 2))
    figure.subplots().set_title("踝靴 Ankle boot 准确率 87.65%")
    figure.savefig(io.BytesIO(), format="png")
    missing = [str(warning.message) for warning in recwarn if "missing from font" in str(warning.message)]
    assert not missing, missing


def test_a_missing_chinese_font_is_said_and_logged(monkeypatch, caplog):
    monkeypatch.setattr(i18n, "CJK_FONT_FAMILY", "No Such Font Family")
    i18n.use_figure_fonts.cache_clear()
    try:
        with caplog.at_level("WARNING"):
            message = i18n.use_figure_fonts()
    finally:
        monkeypatch.undo()
        i18n.use_figure_fonts.cache_clear()
        i18n.use_figure_fonts()
    assert message == i18n.MISSING_FONT_MESSAGE and "fonts-wqy-microhei" in message
    assert i18n.MISSING_FONT_MESSAGE in caplog.text


def run_cli(*arguments, environment=None):
    """python -m fashion with these arguments, LANG set to C.UTF-8 unless the environment says otherwise."""
    import os
    import subprocess

    return subprocess.run(
        [sys.executable, "-m", "fashion", *arguments],
        cwd=Path(__file__).resolve().parents[1],
        env={**os.environ, "LANG": "C.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", **(environment or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_cli_speaks_english_by_default_and_chinese_when_asked(use_small_data, store_with_model):
    english = run_cli("evaluate", "--model", "small-tutorial")
    assert english.returncode == 0, english.stderr
    assert english.stdout.startswith("Model small-tutorial: test accuracy ")
    assert "  Ankle boot " in english.stdout
    chinese = run_cli("--lang", "zh-CN", "evaluate", "--model", "small-tutorial")
    assert chinese.returncode == 0, chinese.stderr
    assert chinese.stdout.startswith("模型 small-tutorial：测试准确率 ")
    assert "  踝靴" in chinese.stdout and "Ankle" not in chinese.stdout
    from_environment = run_cli("models", environment={"LANG": "zh_CN.UTF-8"})
    assert from_environment.returncode == 0, from_environment.stderr
    assert "准确率" in from_environment.stdout or "没有已保存的模型" in from_environment.stdout
    failed = run_cli("--lang", "zh-CN", "evaluate", "--model", "no-such-model")
    assert failed.returncode == 2 and failed.stderr.startswith("错误：")


def test_the_cli_help_and_the_core_errors_follow_the_language(models_dir):
    english = run_cli("--help")
    assert english.returncode == 0, english.stderr
    assert "Fashion-MNIST Studio on the command line." in english.stdout and "usage: " in english.stdout
    chinese = run_cli("--lang", "zh-CN", "--help")
    assert chinese.returncode == 0, chinese.stderr
    assert "命令行" in chinese.stdout and "用法：" in chinese.stdout
    assert "on the command line" not in chinese.stdout and "show this help" not in chinese.stdout
    train_help = run_cli("train", "--help", environment={"LANG": "zh_CN.UTF-8"})
    assert train_help.returncode == 0, train_help.stderr
    assert "训练" in train_help.stdout and "random subset" not in train_help.stdout
    # A FashionError from the core (the model store), raised in the run's language: one line, exit 2
    failed = run_cli("--lang", "zh-CN", "evaluate", "--model", "no-such-model")
    assert failed.returncode == 2
    assert failed.stderr.count("\n") == 1 and failed.stderr.startswith("错误：")
    assert "'no-such-model'" in failed.stderr and "no saved model" not in failed.stderr
    english_failure = run_cli("evaluate", "--model", "no-such-model")
    assert english_failure.stderr == "error: no saved model is called 'no-such-model'.\n"
