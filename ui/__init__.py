"""Streamlit helpers the pages share, one module per concern.

- `startup`: running a page opened alone through the entry; sparing imported modules the GC.
- `caches`: the data set, saved models, test-set predictions, the training jobs, the active model.
- `background`: work built once on a background thread, giving way to page scripts.
- `sidebar`: the sidebar on every page.
- `model_pages`: the start of pages that need a model, the "no model yet" panel, and the notice of
  models no longer in the store.
- `job_session`: which job is this browser's: its owner id, starting a job, the job in the URL.
- `training_view`: a training job's live progress with Stop, and its results.
- `continuation`: the Train page's "continue a saved model" form.
- `recipes`: recipe links as a preset on the Train page, preset widget keys, the reproducible switch.
- `gallery`: the Predictions gallery's figures, captions, opened image and URL state.
- `explanations`: "Why?" (saliency and nearest training images, and where a photo lands on the map).
- `map_view`: the Map page's embedding, its points and its clickable chart.
- `comparison`: the Compare page's models from the URL, figures and disagreement pairs.
- `model_management`: the Saved models page's exports, rename and delete.
- `focus`: a visible keyboard focus outline where Streamlit draws none.
- `learning_view`: "Watch it learn": probe images' guesses and the first layer per epoch.
- `language`: each run's language (?lang=, the sidebar switch, the browser's), <html lang>, Streamlit's texts.
"""
