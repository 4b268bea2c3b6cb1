"The age slider (`agevae.widgets.AgeExplorer`) headless, on tiny runs trained here, and in a real browser (slow)."
import datetime as dt, io, json, os, shutil, socket, subprocess, sys, time
from pathlib import Path
import numpy as np
import pytest
import torch
from PIL import Image

from agevae.fixtures import write_bad
from agevae.model import VAEConfig
from agevae.preprocess import prepare_dataset
from agevae.shift import AgeEdit, age_edit
from agevae.core import to_uint8
from agevae.train import TrainConfig, train
from agevae.checkpoint import load_model
from agevae.widgets import AgeExplorer

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = '/usr/bin/chromium'

@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    "A tiny synthetic cache, a gender-conditioned decoder-mode run, and a posthoc run whose training cache is gone."
    d = tmp_path_factory.mktemp('widgets')
    prepare_dataset('synthetic', None, d/'cache', size=64, n=200, workers=1, progress=False)
    shutil.copytree(d/'cache', d/'gone')
    small = dict(latent_dim=8, channels=(8, 16, 32), beta=1.0)
    tc = lambda data, out: TrainConfig(data=str(d/data), out=str(d/out), steps=3, batch_size=16, sample_every=0, ckpt_every=0, augment=False)
    train(tc('cache', 'decoder'), VAEConfig(age_mode='decoder', gender_cond=True, **small), progress=False)
    train(tc('gone', 'posthoc'), VAEConfig(age_mode='posthoc', **small), progress=False)
    shutil.rmtree(d/'gone')                                          # the posthoc run's training cache is not on this machine
    return d

def counted(w):
    "Count the explorer's decoder calls, and whether each ran under torch.inference_mode."
    calls, decode = [], w.model.decode
    w.model.decode = lambda *a, **k: calls.append(torch.is_inference_mode_enabled()) or decode(*a, **k)
    return calls

def needs_dlib():
    "Skip where the face detector (dlib and face-recognition-models' files, agevae's 'eval' extra) is not installed."
    pytest.importorskip('dlib')
    from agevae.evaluate import face_models_dir
    try: face_models_dir()
    except ModuleNotFoundError as e: pytest.skip(str(e))

def pixels(png) -> np.ndarray: return np.asarray(Image.open(io.BytesIO(bytes(png))).convert('RGB'))

def upload(w, name, content):
    "What the FileUpload widget holds after the browser sent it one file."
    w.upload.value = ({'name': name, 'type': '', 'size': len(content), 'content': memoryview(content),
                       'last_modified': dt.datetime.now(dt.timezone.utc)},)

def test_slider_changes_the_edited_image_in_place(runs):
    w = AgeExplorer(runs/'decoder', index=5, scorer=None)
    img = w.image
    w.age_slider.value = 15; a = bytes(w.image.value)
    w.age_slider.value = 75; b = bytes(w.image.value)
    assert w.image is img and a != b                                  # the same Image widget, new bytes
    model = load_model(runs/'decoder')                                # the frame is what the library's age_edit makes of the face
    ref = age_edit(model, w.x, [w.face_age], torch.tensor([w.gender.value]), [75])[0]
    np.testing.assert_array_equal(pixels(b), to_uint8(ref)[0])
    assert w.faces.name == f"the cache '{runs/'cache'}'"               # faces from the run's own training cache by default
    assert 'face 5' in w.what and w.input_caption.value.startswith(f'input · {w.face_age:.0f} y')

def test_returning_to_an_age_gives_cached_bytes_without_decoding(runs):
    w = AgeExplorer(runs/'decoder', index=5, scorer=None)
    calls = counted(w)
    w.age_slider.value = 20; a = bytes(w.image.value)
    w.age_slider.value = 60
    assert len(calls) == 2
    w.age_slider.value = 20
    assert bytes(w.image.value) == a and len(calls) == 2               # cached: the same bytes, no decoder call
    w.mode.value = 'Δ years'                                           # Δ mode showing the same target: still cached
    assert w.target == 20 and len(calls) == 2
    w.age_slider.value += 7
    assert w.target == 27 and len(calls) == 3 and all(calls)           # a new age: one decode, under inference_mode

def test_residual_edit_follows_edit_json(runs, tmp_path):
    run = tmp_path/'run'; shutil.copytree(runs/'decoder', run)
    (run/'edit.json').write_text(json.dumps({'kind': 'residual', 'gain': 2.0}))
    w = AgeExplorer(run, data=runs/'cache', index=7, scorer=None)
    assert (w.edit.value, w.gain) == ('residual', 2.0)
    ref = age_edit(load_model(run), w.x, [w.face_age], torch.tensor([w.gender.value]), [70], AgeEdit('residual', 2.0))[0]
    np.testing.assert_array_equal(w.frame(70), to_uint8(ref)[0])
    np.testing.assert_array_equal(w.frame(w.face_age), w.pixels)        # at its own age the residual edit is the input
    w.edit.value = 'decode'
    assert not np.array_equal(w.frame(70), to_uint8(ref)[0])            # switching the edit empties the cache

def test_gender_toggle_only_for_gender_conditioned_models(runs):
    w = AgeExplorer(runs/'decoder', index=5, scorer=None)
    assert w.gender.layout.display is None
    calls = counted(w)
    before = bytes(w.image.value)
    w.gender.value = 1 - w.gender.value if w.gender.value in (0, 1) else 0
    assert bytes(w.image.value) != before and len(calls) == 2         # re-encoded: reconstruction + the slider's frame
    assert w.input_caption.value.endswith(' · ' + ('male', 'female')[w.gender.value])
    p = AgeExplorer(runs/'posthoc', data=runs/'cache', scorer=None)
    assert p.gender.layout.display == 'none'

def test_face_by_index_and_at_random(runs):
    w = AgeExplorer(runs/'decoder', index=0, scorer=None)
    first = bytes(w.input_image.value)
    w.index.value = 3
    assert 'face 3' in w.what and bytes(w.input_image.value) != first
    test_rows = set(w.faces.rows.tolist())
    for _ in range(5):
        w.random.click()
        assert w.index.value in test_rows                             # random faces come from the held-out test split
    assert len(w.faces.rows) < len(w.faces) and len(test_rows) > 0

def test_upload_of_a_non_image_or_a_photo_without_face_explains_itself(runs, tmp_path):
    w = AgeExplorer(runs/'decoder', index=5, scorer=None)
    shown = bytes(w.input_image.value)
    upload(w, 'notes.txt', b'this is not an image\n')
    assert 'notes.txt' in w.message.value and 'not an image' in w.message.value
    write_bad(tmp_path/'bomb.png', 'bomb')                            # 20,000 × 20,000 pixels in 390 KB
    upload(w, 'bomb.png', (tmp_path/'bomb.png').read_bytes())
    assert 'bomb.png' in w.message.value and 'limit' in w.message.value
    needs_dlib()
    wall = io.BytesIO(); Image.fromarray(np.full((200, 200, 3), 180, np.uint8)).save(wall, 'png')
    upload(w, 'wall.png', wall.getvalue())
    assert "no face found in 'wall.png'" in w.message.value           # named as uploaded, not by a temporary path
    assert bytes(w.input_image.value) == shown and 'face 5' in w.what     # the face shown before stays

def astronaut() -> Path:
    "A public-domain photo of a face that scikit-image ships (NASA's portrait of Eileen Collins)."
    return Path(pytest.importorskip('skimage.data').__file__).parent/'astronaut.png'

def test_upload_of_a_real_photo(runs):
    needs_dlib()
    photo = astronaut()
    w = AgeExplorer(runs/'decoder', index=5, scorer=None)
    shown = bytes(w.input_image.value)
    upload(w, photo.name, photo.read_bytes())
    assert w.what == f"photo '{photo.name}'" and 'face found and aligned' in w.message.value
    assert bytes(w.input_image.value) != shown and pixels(w.input_image.value).shape == (64, 64, 3)
    w.age_slider.value = 70; a = bytes(w.image.value); w.age_slider.value = 20
    assert bytes(w.image.value) != a

def test_posthoc_without_its_training_cache_explains_itself(runs):
    w = AgeExplorer(runs/'posthoc', data='synthetic', scorer=None)     # no fitted age direction, and nothing to fit it on
    assert w.age_slider.disabled and w.vector is None
    assert 'no age input' in w.message.value and 'gone' in w.message.value   # says why, naming the recorded cache
    assert bytes(w.image.value) == bytes(w.recon_image.value)
    w.age_slider.value = 70                                           # nothing raised
    with pytest.raises(ValueError, match='no age input'): w.strip()
    p = AgeExplorer(runs/'posthoc', data=runs/'cache', scorer=None)   # a cache to fit the direction on: the slider works
    assert not p.age_slider.disabled and p.vector.shape == (8,)
    p.age_slider.value = 10; a = bytes(p.image.value); p.age_slider.value = 80
    assert bytes(p.image.value) != a

def test_strip_and_save(runs, tmp_path):
    w = AgeExplorer(runs/'decoder', index=5, scorer=None)
    calls = counted(w)
    w.age_slider.value = 20
    s = w.strip((20, 50))
    assert pixels(s.value).shape == (68, 4 * 66 + 2, 3) and len(calls) == 2     # 20 came from the cache
    np.testing.assert_array_equal(pixels(s.value)[2:66, 2 + 2 * 66:2 + 2 * 66 + 64], w.frame(20))
    w.save_path.value = str(tmp_path/'out'/'grid.png'); w.save_button.click()
    grid = np.asarray(Image.open(tmp_path/'out'/'grid.png'))
    assert grid.shape == (68, 3 * 66 + 2, 3) and 'saved' in w.message.value
    np.testing.assert_array_equal(grid[2:66, 2 + 2 * 66:2 + 2 * 66 + 64], w.frame(20))
    w.save_path.value = str(tmp_path/'out'); w.save_button.click()   # a folder: a message, nothing raised
    assert 'could not save' in w.message.value

def test_default_model_opens():
    w = AgeExplorer(scorer=None)                                      # the shipped model, as the widget notebook opens it
    assert w.run == ROOT/'models'/'utkface-64' and w.how == 'decoder' and w.size == 64
    rec = json.loads((ROOT/'models'/'utkface-64'/'edit.json').read_text())      # what the shipped model recommends
    assert (w.edit.value, w.gain) == (rec['kind'], rec['gain']) and w.gender.layout.display is None
    a = bytes(w.image.value); w.age_slider.value = 80
    assert bytes(w.image.value) != a

# --- a real browser: JupyterLab on localhost, Debian's chromium driven by Playwright ----------------------------------

def _free_port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def _lab(root:Path, port:int, token:str) -> subprocess.Popen:
    "JupyterLab on 127.0.0.1:`port` serving `root`, with its settings, runtime files and workspaces under `root`/.jupyter."
    cfg = root/'.jupyter'
    settings = {'apputils-extension/notification': {'fetchNews': 'false', 'checkForUpdates': False},   # no news pop-up
                'notebook-extension/tracker': {'windowingMode': 'none',           # every cell in the page, even off screen
                                               'autoStartDefaultKernel': True}}   # no 'Select Kernel' dialog
    for name, value in settings.items():
        f = cfg/'settings'/'@jupyterlab'/f'{name}.jupyterlab-settings'; f.parent.mkdir(parents=True, exist_ok=True); f.write_text(json.dumps(value))
    env = {**os.environ, 'JUPYTER_CONFIG_DIR': str(cfg), 'JUPYTER_RUNTIME_DIR': str(cfg/'runtime'), 'IPYTHONDIR': str(cfg/'ipython'),
           'JUPYTER_DATA_DIR': str(cfg/'data')}                    # notebook signatures etc. stay in the temporary folder
    return subprocess.Popen([sys.executable, '-m', 'jupyterlab', '--no-browser', '--allow-root', '--ServerApp.ip=127.0.0.1', f'--ServerApp.port={port}',
                             '--ServerApp.port_retries=0', f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={root}',
                             f'--LabApp.user_settings_dir={cfg/"settings"}', f'--LabApp.workspaces_dir={cfg/"workspaces"}'],
                            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=open(root/'lab.log', 'w'))

def _drive(page, lab, url:str, log:Path):
    "Open the notebook, run all its cells, drag the slider: faces-row screenshots before and after, the edited face's box in them, the outputs' text, the widget's screenshot."
    from playwright.sync_api import Error
    for _ in range(120):                                              # the server takes a few seconds to listen
        assert lab.poll() is None, 'JupyterLab exited: ' + log.read_text()[-2000:]
        try: page.goto(url); break
        except Error: time.sleep(0.5)
    idle = page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]')
    idle.wait_for(state='attached', timeout=60_000)                   # the kernel is up
    page.get_by_text('| Idle').wait_for(timeout=60_000)              # and the notebook's session is connected to it
    for _ in range(3):                                                # a click while the session still connects runs nothing: retry
        if page.locator('.jp-Dialog').count(): page.locator('.jp-Dialog .jp-mod-accept').click()   # a kernel dialog all the same
        page.get_by_role('menuitem', name='Run', exact=True).click()
        page.get_by_role('menuitem', name='Run All Cells', exact=True).click()
        try: page.wait_for_function("() => [...document.querySelectorAll('.jp-InputArea-prompt')].some(p => /[0-9]/.test(p.innerText))",
                                    timeout=30_000); break           # a cell has run (queued cells are dropped if the kernel changes)
        except Error: pass
    explorer, edited = page.locator('.agevae-explorer'), page.locator('.agevae-explorer img.agevae-edited')
    edited.wait_for(state='attached', timeout=180_000)
    idle.wait_for(state='attached', timeout=180_000)                  # every cell has run
    explorer.scroll_into_view_if_needed(); edited.wait_for(timeout=10_000)
    faces = page.locator('.agevae-explorer .agevae-faces')
    def shot():
        box, e = faces.bounding_box(), edited.bounding_box()
        return (np.asarray(Image.open(io.BytesIO(faces.screenshot())).convert('RGB')).astype(int),
                (round(e['x'] - box['x']), round(e['y'] - box['y']), round(e['width']), round(e['height'])))
    before, box = shot()
    src, handle = edited.get_attribute('src'), page.locator('.agevae-explorer .noUi-handle').first.bounding_box()
    y = handle['y'] + handle['height'] / 2
    page.mouse.move(handle['x'] + handle['width'] / 2, y); page.mouse.down()
    page.mouse.move(handle['x'] + 160, y, steps=8); page.mouse.up()   # drag the slider ~45 years up
    page.wait_for_function('([s, old]) => document.querySelector(s).src !== old', arg=['.agevae-explorer img.agevae-edited', src], timeout=30_000)
    idle.wait_for(state='attached', timeout=30_000); page.wait_for_timeout(1000)   # the last frame decoded and painted
    after, box_after = shot()
    inp = page.locator('.agevae-explorer .agevae-faces img').first; src = inp.get_attribute('src')
    with page.expect_file_chooser() as chooser: page.locator('.agevae-explorer .widget-upload').click()
    chooser.value.set_files(str(astronaut()))                        # upload a photo through the browser's file chooser
    page.wait_for_function('([s, old]) => document.querySelector(s).src !== old', arg=['.agevae-explorer .agevae-faces img', src], timeout=60_000)
    idle.wait_for(state='attached', timeout=30_000); page.wait_for_timeout(1000)
    message = page.locator('.agevae-explorer .widget-html').inner_text()
    src = edited.get_attribute('src')                                 # the photo's gender as its subject gives it: re-encoded, redrawn
    explorer.get_by_role('button', name='female', exact=True).click()
    page.wait_for_function('([s, old]) => document.querySelector(s).src !== old', arg=['.agevae-explorer img.agevae-edited', src], timeout=30_000)
    idle.wait_for(state='attached', timeout=30_000); page.wait_for_timeout(1000)
    outputs = ' '.join(page.locator('.jp-OutputArea-output').all_inner_texts())
    return before, after, box, box_after, outputs + message, explorer.screenshot()

@pytest.mark.slow
def test_browser_slider_changes_the_face_and_nothing_else(tmp_path):
    """JupyterLab runs the widget notebook in headless chromium; dragging the slider changes the edited face and
    nothing else on the faces row; a photo uploaded through the browser becomes the input. Set
    AGEVAE_WIDGET_PNG=figures/widget.png to keep the widget's screenshot (the uploaded public-domain photo, edited)."""
    sync = pytest.importorskip('playwright.sync_api'); pytest.importorskip('jupyterlab')
    if not Path(CHROMIUM).exists(): pytest.skip(f'no {CHROMIUM}: run `bash scripts/setup_browser.sh` (Debian chromium) first')
    needs_dlib()                                                      # the browser uploads a photo, which dlib must find
    nb = json.loads((ROOT/'nbs'/'16_widgets.ipynb').read_text())
    for c in nb['cells']:                                             # synthetic faces: no dataset photo ever lands in a screenshot
        if 'parameters' in c['metadata'].get('tags', []): c['source'] = "data = 'synthetic'"
    (tmp_path/'16_widgets.ipynb').write_text(json.dumps(nb))
    port, token, start = _free_port(), os.urandom(8).hex(), time.time()
    lab = _lab(tmp_path, port, token)
    try:
        with sync.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=['--no-sandbox'])
            page = browser.new_page(viewport={'width': 1300, 'height': 1000})
            try: before, after, (x, y, w, h), box_after, outputs, png = _drive(
                page, lab, f'http://127.0.0.1:{port}/lab/tree/16_widgets.ipynb?token={token}', tmp_path/'lab.log')
            except Exception:
                page.screenshot(path=str(tmp_path/'failure.png'), full_page=True); raise   # what the browser showed
            finally: browser.close()
    finally:
        lab.terminate()
        try: lab.wait(20)
        except subprocess.TimeoutExpired: lab.kill()
    print(f'browser test: {time.time() - start:.1f} s')
    (tmp_path/'widget.png').write_bytes(png)
    if os.environ.get('AGEVAE_WIDGET_PNG'): Path(os.environ['AGEVAE_WIDGET_PNG']).write_bytes(png)
    assert 'Traceback' not in outputs, outputs[:2000]
    assert "photo 'astronaut.png': face found and aligned" in outputs, outputs[-1000:]
    assert before.shape == after.shape and box_after == (x, y, w, h)
    inside = np.zeros(before.shape[:2], bool); inside[y:y + h, x:x + w] = True
    ring = np.zeros_like(inside); ring[max(y - 2, 0):y + h + 2, max(x - 2, 0):x + w + 2] = True   # the image's anti-aliased edge
    diff = np.abs(before - after).max(-1)
    assert (diff[inside] > 8).mean() > 0.2, f'the edited face barely changed: {(diff[inside] > 8).mean():.1%} of its pixels'
    assert diff[~ring].max() == 0, f'pixels outside the edited face changed: {(diff[~ring] > 0).sum()}'
