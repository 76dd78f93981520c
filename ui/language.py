"""The language of each run: `?lang=` in the URL, else the sidebar switch's choice, else the browser's."""

from __future__ import annotations

import json

import streamlit as st

from fashion import i18n
from fashion.i18n import N_, _

LANGUAGE_QUERY_PARAMETER = "lang"
LANGUAGE_KEY = "language"  # this session's language, once chosen
CHOSEN_KEY = "language_chosen"  # True once the URL or the switch chose it (it is then kept in the URL)
SWITCH_KEY = "language_switch"


def choose_language() -> str:
    """Decide this run's language, make it current, keep it in the URL; call first in every run."""
    from_url = i18n.language_of(st.query_params.get(LANGUAGE_QUERY_PARAMETER))
    if from_url is not None:
        st.session_state[LANGUAGE_KEY] = from_url
        st.session_state[CHOSEN_KEY] = True
    elif LANGUAGE_KEY not in st.session_state:
        st.session_state[LANGUAGE_KEY] = i18n.language_of(st.context.locale) or i18n.DEFAULT_LANGUAGE
    language = st.session_state[LANGUAGE_KEY]
    i18n.use_language(language)
    # Kept in the URL like ?model=: a page change drops the query, and this puts it back. A first
    # visit in the default language leaves the URL as it was.
    kept = st.session_state.get(CHOSEN_KEY) or language != i18n.DEFAULT_LANGUAGE
    if kept and st.query_params.get(LANGUAGE_QUERY_PARAMETER) != language:
        st.query_params[LANGUAGE_QUERY_PARAMETER] = language
    return language


def apply_session_language() -> None:
    """Make the session's language current again (a fragment's rerun does not pass through the entry)."""
    i18n.use_language(st.session_state.get(LANGUAGE_KEY, i18n.DEFAULT_LANGUAGE))


def _switched() -> None:
    st.session_state[LANGUAGE_KEY] = st.session_state[SWITCH_KEY]
    st.session_state[CHOSEN_KEY] = True
    st.query_params[LANGUAGE_QUERY_PARAMETER] = st.session_state[SWITCH_KEY]


def language_switch() -> None:
    """The sidebar's switch between the languages, each named in itself."""
    st.session_state[SWITCH_KEY] = st.session_state[LANGUAGE_KEY]
    st.segmented_control(
        _("Language"),
        i18n.LANGUAGES,
        format_func=i18n.LANGUAGE_NAMES.get,
        key=SWITCH_KEY,
        on_change=_switched,
        required=True,
    )
    if st.session_state[LANGUAGE_KEY] != i18n.ENGLISH:
        missing_font = i18n.use_figure_fonts()
        if missing_font:
            st.warning(_(missing_font), icon=":material/font_download_off:")


# Streamlit's own words on the page, which no API sets: translated in the browser (text nodes that read
# exactly so; "{size} per file" by its ending). Their msgids are here so that Babel extracts them.
STREAMLIT_TEXTS = {
    "Skip to main content": N_("Skip to main content"),
    "Upload": N_("Upload"),
    "Browse files": N_("Browse files"),
    "Drag and drop file here": N_("Drag and drop file here"),
    "Drag and drop files here": N_("Drag and drop files here"),
    "Take Photo": N_("Take Photo"),
    "Clear photo": N_("Clear photo"),
    "No results": N_("No results"),
    "Running...": N_("Running..."),
    "Stop": N_("Stop"),  # the header's button while a script runs
    "add icon": N_("add icon"),  # read by screen readers: the uploader's "Add files" button
    "Add files": N_("Add files"),  # an aria-label
    "Remove file": N_("Remove file"),
}
PER_FILE = N_("{size} per file")

# Runs on every script run: sets <html lang>, and keeps Streamlit's texts in the run's language while React
# redraws them (a MutationObserver, installed once; a text translated before is restored in English).
DOCUMENT_SCRIPT = """<script>
(() => {
  const page = window;
  page.fashionLanguage = %(language)s;
  page.fashionTexts = %(texts)s;
  page.fashionPerFile = %(per_file)s;
  document.documentElement.lang = page.fashionLanguage;
  const translate = node => {
    const original = node.fashionOriginal ?? node.data;
    let wanted = page.fashionTexts[original.trim()];
    const perFile = original.match(/^(\\S+) per file$/);
    if (wanted === undefined && perFile && page.fashionPerFile) {
      wanted = page.fashionPerFile.replace("{size}", perFile[1]);
    }
    if (wanted !== undefined) {
      node.fashionOriginal = original;
      if (node.data !== wanted) node.data = wanted;
    } else if (node.fashionOriginal !== undefined && node.data !== original) {
      node.data = original;
    }
  };
  const label = element => {
    const original = element.fashionLabel ?? element.getAttribute("aria-label");
    const wanted = page.fashionTexts[original];
    if (wanted !== undefined) {
      element.fashionLabel = original;
      if (element.getAttribute("aria-label") !== wanted) element.setAttribute("aria-label", wanted);
    } else if (element.fashionLabel !== undefined && element.getAttribute("aria-label") !== original) {
      element.setAttribute("aria-label", original);
    }
  };
  const walk = root => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) translate(walker.currentNode);
    if (root.querySelectorAll) root.querySelectorAll("[aria-label]").forEach(label);
  };
  walk(document.body);
  if (!page.fashionObserver) {
    page.fashionObserver = new MutationObserver(mutations => {
      for (const mutation of mutations) {
        if (mutation.type === "characterData") translate(mutation.target);
        if (mutation.type === "attributes") label(mutation.target);
        for (const node of mutation.addedNodes) {
          if (node.nodeType === Node.TEXT_NODE) translate(node);
          else if (node.nodeType === Node.ELEMENT_NODE) walk(node);
        }
      }
    });
    page.fashionObserver.observe(document.body, {
      subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ["aria-label"]
    });
  }
})();
</script>"""


def set_document_language(language: str) -> None:
    """Set <html lang> to the language, so screen readers read it right, and translate Streamlit's texts."""
    # Streamlit has no setting for either. st.html runs the script in the page itself (no iframe) and
    # draws nothing.
    texts = (
        {}
        if language == i18n.ENGLISH
        else {english: _(message) for english, message in STREAMLIT_TEXTS.items()}
    )
    per_file = "" if language == i18n.ENGLISH else _(PER_FILE)
    script = DOCUMENT_SCRIPT % {
        "language": json.dumps(language),
        "texts": json.dumps(texts, ensure_ascii=False),
        "per_file": json.dumps(per_file, ensure_ascii=False),
    }
    st.html(script, unsafe_allow_javascript=True)
