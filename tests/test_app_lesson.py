"""AppTest of the Lesson page and of the code of a model on Saved models."""

from __future__ import annotations

from app_pages import open_page
from waiting import job_when

from fashion.lesson import model_code
from fashion.lesson.steps import LESSON_STEPS
from fashion.training.models import RECOMMENDED_PRESET, presets

STEP_HEADERS = [f"Step {number}: {step.title}" for number, step in enumerate(LESSON_STEPS, start=1)]
WAITING = "Train the model in step 6 first"


def headers(app) -> list[str]:
    """The page's st.header texts, in order."""
    return [element.value for element in app.header]


def image_captions(app) -> list[str]:
    """The captions of the page's images."""
    return [image.proto.imgs[0].caption for image in app.get("image")]


def test_lesson_without_a_model_shows_the_data_steps_and_offers_training(use_small_data, models_dir):
    app = open_page("pages/lesson.py")
    assert headers(app) == STEP_HEADERS
    # Setup, then one code block per step (the tutorial network's script)
    steps = model_code.script_steps("tutorial", presets("tutorial")[RECOMMENDED_PRESET])
    codes = {step.key: step.code for step in steps}
    shown = ["setup", *(step.key for step in LESSON_STEPS)]
    assert [code.value.strip() for code in app.code] == [codes[key].strip() for key in shown]
    assert app.button(key="lesson_train_tutorial").label == "Train the tutorial model"
    assert sum(WAITING in info.value for info in app.info) == 3  # evaluate, predict, use
    captions = image_captions(app)
    assert "The first training image" in captions and "The first 25 training images" in captions
    assert "(1000, 28, 28)" in app.table[0].value.to_string()
    assert app.metric[0].value == "101,770"  # the untrained tutorial network's parameters
    assert not app.get("selectbox")


def test_lesson_follows_a_saved_model(use_small_data, store_with_model):
    from fashion.data.fashion_mnist import load_dataset
    from fashion.store import model_store as store
    from fashion.training.evaluation import evaluate

    app = open_page("pages/lesson.py")
    assert headers(app) == STEP_HEADERS
    assert app.selectbox(key="lesson_model").value == "small-tutorial"
    assert not any(WAITING in info.value for info in app.info)
    metrics = {metric.label: metric.value for metric in app.metric}
    dataset = load_dataset(allow_download=False)
    expected = evaluate(store.load_model("small-tutorial"), dataset.test_images, dataset.test_labels)
    assert metrics["Test accuracy"] == f"{expected.accuracy:.2%}"
    assert metrics["Parameters"] == "101,770"
    captions = image_captions(app)
    assert "Loss and accuracy per epoch" in captions
    assert "Test image 0 and its probabilities" in captions and "Its ten probabilities" in captions
    # The whole script of the model in its Code expander, with a download
    assert model_code.model_script("small-tutorial").rstrip() in [code.value.rstrip() for code in app.code]
    assert "Download the script (.py)" in [button.label for button in app.get("download_button")]


def test_lesson_trains_the_tutorial_network_and_fills_in_every_step(use_small_data, models_dir):
    from fashion.jobs import default_jobs

    app = open_page("pages/lesson.py")
    app.button(key="lesson_train_tutorial").click().run()
    assert not app.exception and not app.error
    job_id = app.query_params["job"]
    job_when(default_jobs(), job_id, lambda job: not job.active, "ended", seconds=300)
    assert default_jobs().get(job_id).state == "finished", default_jobs().get(job_id).error
    app.run()
    assert not app.exception
    assert not any(WAITING in info.value for info in app.info)
    assert app.selectbox(key="lesson_model").value == default_jobs().get(job_id).model_name
    assert "Test accuracy" in [metric.label for metric in app.metric]


def test_models_page_shows_the_code_of_the_model(use_small_data, store_with_model):
    app = open_page("pages/models.py", {"saved": "small-tutorial"})
    assert model_code.model_script("small-tutorial").rstrip() in [code.value.rstrip() for code in app.code]
    assert "Download the script (.py)" in [button.label for button in app.get("download_button")]
